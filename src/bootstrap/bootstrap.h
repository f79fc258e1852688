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
#include <string>
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
  // A second listener, idle until this rank hosts the root of a communicator derived from this one without its
  // excluded ranks (ncclCommShrink): every member knows where it is from the table, so no exchange that an
  // excluded (perhaps dead) rank would have to take part in is needed to find the new root.
  SocketAddress spareRoot;
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

  // A communicator derived from this one (ncclCommShrink): its id when `host` (a rank of this one) hosts its root
  // on its spare listener, the same on every member for the same `sequence` (how many this rank has derived
  // before). The host starts that root with hostDerivedRoot before joining.
  UniqueIdContents derivedId(int host, uint64_t sequence) const;
  void hostDerivedRoot(uint64_t sequence);

  // After init the listener serves only peers' status queries and failure notices: the listening socket to
  // poll; serving one waiting connection (a query is answered with `report`, a notice handed to `onFailure` with
  // the failed rank and its reason); asking a peer for its status.
  using FailureHandler = std::function<void(int rank, const std::string& reason)>;
  int listenerFd() const { return listener_.fd(); }
  void serveListener(const StatusReply& report, const FailureHandler& onFailure);
  StatusReply queryStatus(int peer, double seconds);
  // The peers whose process does not answer a status query within `seconds` (refused or reset: it has exited).
  std::vector<int> unreachablePeers(double seconds);
  // Tells every peer that this rank's communicator failed and why, so that peers waiting on this rank (which
  // is alive but will not go on) fail too instead of waiting for their timeout. One connection per peer with a
  // short deadline; peers that are gone are skipped.
  void tellPeersOfFailure(const std::string& reason);

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
  Socket spareRootListener_;  // PeerInfo::spareRoot
  std::unique_ptr<HandshakeListener<PeerHello>> peerListener_;
  Socket next_, prev_;
  double timeoutSeconds_;
  MembersGone membersGone_;
};

}  // namespace braid
