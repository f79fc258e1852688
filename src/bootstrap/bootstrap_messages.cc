#include "bootstrap/bootstrap_messages.h"

#include <cstring>

#include "nccl.h"

namespace braid {

MessageHeader makeHeader(MessageKind kind, uint64_t secret) {
  return {kBootstrapMagic, kBootstrapVersion, kind, secret};
}

bool speaksProtocol(const MessageHeader& h, MessageKind kind) {
  return h.magic == kBootstrapMagic && h.version == kBootstrapVersion && h.kind == kind;
}

std::string checkRootHello(const RootHello& hello, uint64_t secret) {
  if (!speaksProtocol(hello.header, kRootHello)) return "not a Braid bootstrap hello of this version";
  if (hello.header.secret != secret) return "wrong job secret";
  if (hello.nranks < 1 || hello.nranks > kMaxRanks) return "nranks " + std::to_string(hello.nranks) + " out of range";
  if (hello.rank < 0 || hello.rank >= hello.nranks) return "rank " + std::to_string(hello.rank) + " out of range";
  if (hello.info.rank != hello.rank) return "peer info names another rank";
  if (!std::memchr(hello.info.hostname, '\0', sizeof hello.info.hostname)) return "host name is not terminated";
  for (const SocketAddress* address : {&hello.info.listen, &hello.info.spareRoot})
    if (address->sa.sa_family != AF_INET && address->sa.sa_family != AF_INET6)
      return "listening address is not IPv4 or IPv6";
  return "";
}

std::string checkRootReply(RootReply& reply, uint64_t secret, int nranks) {
  reply.message[sizeof reply.message - 1] = '\0';
  if (!speaksProtocol(reply.header, kRootReply)) return "malformed root reply";
  if (reply.status < ncclSuccess || reply.status >= ncclNumResults) return "root reply has an unknown status";
  // An error needs no secret (a root of another job cannot know ours, and an error only stops this init);
  // the table of peers does.
  if (reply.status == ncclSuccess && reply.header.secret != secret) return "root reply carries another job's secret";
  if (reply.status == ncclSuccess && reply.nranks != nranks) return "root reply is for another rank count";
  return "";
}

std::string checkPeerHello(const PeerHello& hello, uint64_t secret, uint64_t nonce, int nranks) {
  if (!speaksProtocol(hello.header, kPeerHello) || hello.header.secret != secret) return "bad handshake";
  if (hello.nonce != nonce) return "handshake for another communicator";
  if (hello.rank < 0 || hello.rank >= nranks) return "rank out of range";
  if ((hello.channel < -1 || hello.channel > 64) && hello.channel != kStatusChannel && hello.channel != kFailureChannel)
    return "channel out of range";
  return "";
}

std::string checkStatusReply(StatusReply& reply, uint64_t secret, int expectedRank) {
  reply.waiting[sizeof reply.waiting - 1] = '\0';
  if (!speaksProtocol(reply.header, kStatusReply) || reply.header.secret != secret) return "malformed status reply";
  if (reply.rank != expectedRank) return "status reply from another rank";
  return "";
}

std::string checkFailureNotice(FailureNotice& notice, uint64_t secret, int expectedRank) {
  notice.reason[sizeof notice.reason - 1] = '\0';
  if (!speaksProtocol(notice.header, kFailureNotice) || notice.header.secret != secret) return "malformed notice";
  if (notice.rank != expectedRank) return "failure notice from another rank";
  return "";
}

}  // namespace braid
