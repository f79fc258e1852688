// The bootstrap's wire messages. All are fixed-size, so a peer can never make us allocate or read past a
// bound; every field of an incoming message is checked before use by the check* functions, which return what
// is wrong (empty when the message is acceptable).
#pragma once

#include <cstdint>
#include <string>

#include "bootstrap/bootstrap.h"

namespace braid {

constexpr uint32_t kBootstrapMagic = 0x44415242;  // "BRAD"
constexpr uint16_t kBootstrapVersion = 3;         // 2: PeerInfo.pidNamespace; 3: PeerInfo.spareRoot
constexpr int kMaxRanks = 1 << 20;
enum MessageKind : uint16_t { kRootHello = 1, kRootReply = 2, kPeerHello = 3, kStatusReply = 4, kFailureNotice = 5 };
constexpr int32_t kStatusChannel = 1000;   // a PeerHello on this channel asks for a StatusReply
constexpr int32_t kFailureChannel = 1001;  // a PeerHello on this channel is followed by a FailureNotice

struct MessageHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t kind;
  uint64_t secret;
};

struct RootHello {  // rank -> root
  MessageHeader header;
  int32_t rank;
  int32_t nranks;
  PeerInfo info;
};

struct RootReply {  // root -> rank, followed by nranks PeerInfo when status is ncclSuccess
  MessageHeader header;
  int32_t status;
  int32_t nranks;
  uint64_t nonce;
  char message[256];
};

struct PeerHello {  // rank -> rank: the bootstrap ring (channel -1) and transport connections
  MessageHeader header;
  uint64_t nonce;
  int32_t rank;
  int32_t channel;
};

struct StatusReply {  // rank -> whoever asked: how far this rank has come on the communicator
  MessageHeader header;
  int32_t rank;
  int32_t inCollective;  // 1 while a launch is running
  uint64_t issued;       // collectives this rank has started
  uint64_t completed;    // collectives this rank has finished
  char waiting[256];     // what it waits for, when stuck
};

struct FailureNotice {  // rank -> every peer: this rank's communicator failed (a peer died), and why
  MessageHeader header;
  int32_t rank;
  int32_t reserved;
  char reason[256];
};

MessageHeader makeHeader(MessageKind kind, uint64_t secret);

// Whether the bytes speak this protocol version at all (magic, version, kind), regardless of secret.
bool speaksProtocol(const MessageHeader& header, MessageKind kind);
std::string checkRootHello(const RootHello& hello, uint64_t secret);
// Also terminates the message text. Error replies are accepted without our secret.
std::string checkRootReply(RootReply& reply, uint64_t secret, int nranks);
std::string checkPeerHello(const PeerHello& hello, uint64_t secret, uint64_t nonce, int nranks);
std::string checkStatusReply(StatusReply& reply, uint64_t secret, int expectedRank);       // also terminates the text
std::string checkFailureNotice(FailureNotice& notice, uint64_t secret, int expectedRank);  // also terminates it

}  // namespace braid
