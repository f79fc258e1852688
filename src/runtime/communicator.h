// The communicator: one rank's membership in a clique, its bootstrap ring, its transport connections and the
// state the API needs (errors, user reduction ops, a reusable workspace).
#pragma once

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/planner/planner.h"
#include "algorithms/schedule.h"
#include "base/process_identity.h"
#include "bootstrap/bootstrap.h"
#include "bootstrap/bootstrap_messages.h"
#include "exec/channels_run.h"
#include "exec/direct_run.h"
#include "exec/schedule_cache.h"
#include "runtime/comm_config.h"
#include "runtime/one_sided.h"
#include "runtime/profiler.h"
#include "runtime/red_op.h"
#include "topology/xml_tree.h"
#include "transports/shm/ll_mailbox.h"
#include "transports/shm/shared_buffers.h"
#include "transports/transport.h"

struct ncclComm {
  static constexpr uint64_t kMagic = 0x6d6d6f6364696162ull;  // "braidcomm"
  uint64_t magic = kMagic;
  // The process that created it (base/process_identity.h): a forked child may not use it.
  uint64_t generation = braid::processGeneration();
  int ownerPid = static_cast<int>(::getpid());
  int rank = 0;
  int nranks = 0;
  int localRanks = 1;           // ranks of this communicator on this host (this one included)
  bool oversubscribed = false;  // more local ranks than cores this process may run on
  int device = 0;
  braid::CommConfig config;       // what ncclConfig_t asked for (runtime/comm_config.h); splits inherit it
  bool checkCollectives = false;  // BRAID_CHECK_COLLECTIVES: compare every collective's signature across ranks
  bool callTags = true;           // BRAID_CALL_TAGS on every rank: collectives' data carries their call's tag
  double timeoutSeconds = 1800;   // BRAID_TIMEOUT: a launch without progress for this long fails; 0 = never

  std::unique_ptr<braid::Bootstrap> bootstrap;
  std::array<braid::ChannelConnections, braid::kChannelCount> channels;
  // Collective channels beyond the first (channels_run.h), where every rank's cores allow: FIFOs to the local
  // peers, one set each, driven by `channelHelpers`.
  std::vector<braid::ChannelConnections> extraCollectiveChannels;
  braid::RedOpTable redOps;
  std::shared_ptr<const braid::topo::XmlElement> topology;  // the fused cluster, when requested (cluster_topology.h)
  std::unique_ptr<braid::planner::Planner> planner;         // which algorithm each collective uses
  std::unique_ptr<braid::ProfilerSession> profiler;         // a profiler plugin's session, when one is loaded
  std::shared_ptr<const braid::NodeLayout> nodes;           // which ranks share a host (same on every rank)
  std::unique_ptr<braid::LlMailbox> mailbox;                // LL protocol, when all ranks share this host
  uint64_t lowLatencyIssued = 0;                            // LL collectives started: their sequence numbers, from 1
  // Peers' shareable buffers mapped here, for collectives done in place (direct_run.h); null when all ranks
  // do not share this host or some rank set BRAID_ZERO_COPY=0.
  std::unique_ptr<braid::PeerBufferMap> peerBuffers;
  braid::DirectAttempts directAttempts;  // guarded by executionMutex
  // Where direct runs reduce what they read by cross-memory attach (protocol CMA); null when it is off.
  std::unique_ptr<char[]> crossMemoryScratch;  // guarded by executionMutex

  std::mutex executionMutex;       // one executor drives this communicator's connections at a time
  std::vector<char> workspace;     // scratch and pre-scaled inputs, grown on demand, guarded by executionMutex
  braid::ScheduleCache schedules;  // built schedules by collective shape, guarded by executionMutex
  // Threads that drive the extra collective channels; null with one channel. Declared after everything its
  // runs use, so it goes first.
  std::unique_ptr<braid::ChannelHelpers> channelHelpers;
  std::atomic<int> inflight{0};  // queued stream work that still refers to this communicator
  std::atomic<int> users{0};     // API calls under way on this communicator (see CommUse)
  // ncclCommAbort or ncclCommRevoke: every wait on the communicator gives up within its next health check and
  // no new work starts. `revoked`: it was ncclCommRevoke, and the communicator stays for ncclCommShrink or destroy.
  std::atomic<bool> stopping{false};
  std::atomic<bool> revoked{false};
  // Communicators derived from this one by ncclCommShrink so far: their roots' sequence numbers
  // (Bootstrap::derivedId). Every surviving member counts the same.
  uint64_t derivedCommunicators = 0;
  std::atomic<bool> finalized{false};  // ncclCommFinalize returned: no new work, only destroy
  // ncclCommSuspend: no work until ncclCommResume. With NCCL_SUSPEND_MEM the memory it can give back was
  // released (heldBytes' suspendable share); `scratchReleased`: the CMA scratch, which resume restores.
  std::atomic<bool> suspended{false};
  bool scratchReleased = false;  // guarded by executionMutex
  // ncclInProgress while a non-blocking init or finalize runs; then ncclSuccess or the first failure, which
  // sticks.
  std::atomic<ncclResult_t> asyncError{ncclSuccess};
  std::thread background;          // a non-blocking init or finalize
  braid::MembersGone membersGone;  // a split's: members known gone end its init (bootstrap/member_watch.h)

  std::mutex errorMutex;
  std::string lastError;
  std::string asyncMessage;                          // why asyncError is set
  std::chrono::steady_clock::time_point failedAt{};  // when asyncError became a failure (for the shrink's log)
  // A peer's failure notice (Bootstrap::tellPeersOfFailure): work under way fails with it within its next health
  // check, as if the peer had died. `peerFailure` (guarded by errorMutex) says which rank failed and why.
  std::atomic<bool> peerFailed{false};
  std::string peerFailure;

  // Progress, for diagnostics (status queries from peers, SIGUSR1 dumps, timeout summaries). Only the thread
  // holding executionMutex writes them, so plain relaxed loads and stores do (no locked instructions per call).
  std::atomic<uint64_t> collectivesIssued{0};
  std::atomic<uint64_t> collectivesCompleted{0};
  std::atomic<bool> inLaunch{false};
  std::mutex waitingMutex;
  std::string waiting;  // what a stalled launch waits for, refreshed about every 100 ms

  // Puts and signals into windows (one_sided.h), from the first ncclCommWindowRegister on. Its service thread
  // uses only the mesh itself (and reads `stopping`, declared before it).
  std::unique_ptr<braid::OneSidedMesh> oneSided;

  braid::ChannelConnections& channel(braid::Channel c) { return channels[static_cast<int>(c)]; }
  braid::CollectiveChannels collectiveChannels() {
    return {channel(braid::Channel::Collective), extraCollectiveChannels, channelHelpers.get()};
  }
  char* workspaceOf(size_t bytes) {
    if (workspace.size() < bytes) workspace.resize(bytes);
    return workspace.data();
  }
  // The first remote error (a peer died) is told to every peer, so that ranks waiting on this one fail too.
  void recordError(ncclResult_t code, const std::string& message, bool breaksCommunicator = false);
  void notePeerFailure(int peer, const std::string& reason);  // from the status service's thread
  std::string peerFailureMessage() const;
  // What this rank answers peers' status queries with (bootstrap/status_service.h).
  braid::StatusReply status();
  // Why work on the communicator fails while `stopping`.
  std::string stopReason() const;
  // Throws unless new work may be issued: not stopping, finalized or suspended, initialized, no earlier failure.
  void checkUsable() const;
  // Waits until no queued stream work refers to the communicator.
  void awaitQueuedWork() const;
  // Host memory the communicator holds, for ncclCommMemStats: what ncclCommSuspend(NCCL_SUSPEND_MEM) gives
  // back (workspace, CMA scratch), and what it keeps (connections' rings and slots, LL
  // mailboxes). Call with executionMutex held.
  size_t suspendableBytes() const;
  size_t persistentBytes() const;
};

namespace braid {

// Joins the clique described by `id` as `rank` of `nranks` and wires every peer: shared memory for peers on the
// same host, TCP for the others.
void initCommunicator(ncclComm* comm, const UniqueIdContents& id, int nranks, int rank);

// initCommunicator now, or (non-blocking communicators) in a thread whose outcome ncclCommGetAsyncError reports:
// then ncclInProgress. ncclCommAbort ends a pending one within the bootstrap's check interval (0.1 s).
ncclResult_t startInit(ncclComm* comm, const UniqueIdContents& id, int nranks, int rank);

// ncclCommRevoke: every call under way on `comm` fails within its next health check (~0.1 s) and every later
// one at once; returns when none is left (queued stream work included), with the communicator's state
// ncclSuccess again (it is quiescent), so that ncclCommShrink or destroy may follow.
void revokeCommunicator(ncclComm* comm);

// Throws ncclInvalidArgument unless `comm` is a live communicator, ncclInvalidUsage when it belongs to the
// process this one was forked from.
void checkCommunicator(const ncclComm* comm, const char* call);

// Counts an API call among a communicator's users for its duration, so that destroy and abort (which wait for
// the users to leave) never free a communicator under a call that is still running on another thread.
class CommUse {
 public:
  explicit CommUse(ncclComm* comm) : comm_(comm && comm->magic == ncclComm::kMagic ? comm : nullptr) {
    if (comm_) ++comm_->users;
  }
  ~CommUse() {
    if (comm_) --comm_->users;
  }
  int rank() const { return comm_ ? comm_->rank : -1; }
  CommUse(const CommUse&) = delete;
  CommUse& operator=(const CommUse&) = delete;

 private:
  ncclComm* comm_;
};

}  // namespace braid
