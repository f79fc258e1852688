// Bootstrap: how ranks of a new communicator find each other.
//
// The root (a thread started by ncclGetUniqueId, or by rank 0 under BRAID_COMM_ID) collects one hello from
// every rank, checks that they agree on the rank count and present the job's secret, and answers each with the
// table of all ranks (host, pid, listening address). The ranks then join a ring of TCP connections that carries
// the small out-of-band exchanges of the communicator (allgather, barrier, split) and accept the connections
// of the socket transport.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/socket.h"
#include "bootstrap/unique_id.h"

namespace braid {

template <class Hello>
class HandshakeListener;
struct PeerHello;
struct StatusReply;

struct PeerInfo {
  uint64_t hostHash;
  int32_t pid;
  int32_t rank;
  uint64_t pidNamespace;  // with pid, names the shared memory this rank creates (transports/shm/segment_names.h)
  SocketAddress listen;
  char hostname[64];
};

// Starts a root listener thread on `address` (its port is filled in) that serves one communicator's init.
void startBootstrapRoot(SocketAddress& address, uint64_t secret);

// Tells, while ranks join, whether one that should join is known to be gone: "" while none is, else why
// ("rank 3 (pid 1234) exited"). A split knows its members from the parent communicator; a fresh init has none.
using MembersGone = std::function<std::string()>;

class Bootstrap {
 public:
  // Blocks until every rank has joined; throws with a clear message on mismatch or timeout, or as soon as
  // `membersGone` names a rank that is gone (checked every 0.1 s while waiting; once joined, any of its ranks on this
  // host that exits).
  Bootstrap(const UniqueIdContents& id, int rank, int nranks, MembersGone membersGone = nullptr);
  ~Bootstrap();

  int rank() const { return rank_; }
  int nranks() const { return nranks_; }
  uint64_t nonce() const { return nonce_; }  // random per communicator, shared by all its ranks
  const std::vector<PeerInfo>& peers() const { return peers_; }
  double timeoutSeconds() const { return timeoutSeconds_; }  // BRAID_BOOTSTRAP_TIMEOUT

  // `data` holds nranks blocks of `blockBytes`; this rank's block is filled in, the others are received.
  void allGather(void* data, size_t blockBytes);
  void barrier();

  // Transport connections between ranks on different hosts, authenticated like the ring.
  Socket connectTo(int peer, int channel);
  // Accepts `count` connections; returns them with the (peer, channel) each announced.
  struct Accepted {
    Socket socket;
    int peer;
    int channel;
  };
  std::vector<Accepted> acceptFrom(size_t count);

  // Status queries (after init the listener serves only these): the listening socket to poll, answering one
  // waiting query with `report` (a StatusReply), and asking a peer for its own.
  int listenerFd() const { return listener_.fd(); }
  void answerStatusQuery(const StatusReply& report);
  StatusReply queryStatus(int peer, double seconds);

 private:
  template <class Wanted>
  Accepted acceptWhere(Wanted wanted);
  Socket introduce(int peer, int channel, Deadline deadline);  // connect and send our PeerHello
  void failIfMemberGone() const;
  // Waits for `socket` to be readable, failing as soon as a member is known gone; the read itself keeps
  // `deadline` (without a watch this returns at once).
  void awaitReadable(const Socket& socket, Deadline deadline) const;
  int rank_, nranks_;
  uint64_t secret_;
  uint64_t nonce_ = 0;
  std::vector<PeerInfo> peers_;
  Socket listener_;
  std::unique_ptr<HandshakeListener<PeerHello>> peerListener_;
  Socket next_, prev_;
  double timeoutSeconds_;
  MembersGone membersGone_;
};

}  // namespace braid
