#include "runtime/communicator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "base/cpu_affinity.h"
#include "base/env_plugin.h"
#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "base/plugin_library.h"
#include "bootstrap/status_service.h"
#include "exec/channels_run.h"
#include "runtime/algorithm_selection.h"
#include "runtime/cluster_topology.h"
#include "transports/network.h"
#include "transports/shm/shm_wiring.h"

void ncclComm::recordError(ncclResult_t code, const std::string& message, bool breaksCommunicator) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(errorMutex);
    lastError = message;
    if (code == ncclRemoteError || code == ncclTimeout || code == ncclSystemError || breaksCommunicator) {
      // The first failure sticks, also over a non-blocking finalize under way.
      ncclResult_t expected = ncclSuccess, finalizing = ncclInProgress;
      first =
          asyncError.compare_exchange_strong(expected, code) || asyncError.compare_exchange_strong(finalizing, code);
      if (first) asyncMessage = message, failedAt = std::chrono::steady_clock::now();
    }
  }
  // A peer that died is seen by the ranks that talk to it; the others may wait on this rank, which will not go
  // on. Tell them all, unless a peer already told everyone (its notice is how this rank failed).
  if (first && code == ncclRemoteError && !peerFailed.load() && bootstrap && !stopping.load())
    bootstrap->tellPeersOfFailure(message);
}

void ncclComm::notePeerFailure(int peer, const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(errorMutex);
    if (peerFailed.load() || stopping.load()) return;  // the first notice says it; a revoked one stays quiescent
    peerFailure = "rank " + std::to_string(peer) + " told of its failure: " + reason;
    peerFailed = true;
  }
  BRAID_WARN("COLL", "rank %d: %s", rank, peerFailure.c_str());
  recordError(ncclRemoteError, peerFailure);
  if (mailbox) mailbox->ownDoorbell().ringIfSleeping();  // a launch asleep on it sees the notice now
}

std::string ncclComm::peerFailureMessage() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(errorMutex));
  return peerFailure;
}

braid::StatusReply ncclComm::status() {
  braid::StatusReply r{};
  r.rank = rank;
  r.inCollective = inLaunch.load() ? 1 : 0;
  r.issued = collectivesIssued.load();
  r.completed = collectivesCompleted.load();
  std::lock_guard<std::mutex> lock(waitingMutex);
  std::snprintf(r.waiting, sizeof r.waiting, "%s", waiting.c_str());
  return r;
}

std::string ncclComm::stopReason() const {
  return revoked.load() ? "communicator was revoked (ncclCommRevoke): only ncclCommShrink, ncclCommDestroy or "
                          "ncclCommAbort may follow"
                        : "communicator is being aborted (ncclCommAbort)";
}

void ncclComm::checkUsable() const {
  if (stopping.load()) braid::fail(ncclInvalidUsage, stopReason());
  if (finalized.load())
    braid::fail(ncclInvalidUsage, "communicator was finalized (ncclCommFinalize): only ncclCommDestroy may follow");
  if (suspended.load())
    braid::fail(ncclInvalidUsage, "communicator is suspended (ncclCommSuspend): call ncclCommResume first");
  ncclResult_t state = asyncError.load();
  if (state == ncclInProgress) braid::fail(ncclInvalidUsage, "communicator is still initializing (non-blocking init)");
  if (state != ncclSuccess) {
    std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(errorMutex));
    braid::fail(state, "communicator failed earlier and must be aborted: " + asyncMessage);
  }
}

void ncclComm::awaitQueuedWork() const {
  while (inflight.load() > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

size_t ncclComm::suspendableBytes() const {
  return workspace.capacity() + (crossMemoryScratch ? braid::DirectRun::kCrossMemoryScratchBytes : 0);
}

size_t ncclComm::persistentBytes() const {
  size_t bytes = mailbox ? mailbox->heldBytes() : 0;
  auto add = [&bytes](const braid::ChannelConnections& c) {
    // One socket may serve both directions of a peer: count each connection object once.
    std::vector<const void*> seen;
    for (const auto& s : c.send)
      if (s) bytes += s->heldBytes(), seen.push_back(dynamic_cast<const void*>(s.get()));
    for (const auto& r : c.recv)
      if (r && std::find(seen.begin(), seen.end(), dynamic_cast<const void*>(r.get())) == seen.end())
        bytes += r->heldBytes();
  };
  for (const braid::ChannelConnections& c : channels) add(c);
  for (const braid::ChannelConnections& c : extraCollectiveChannels) add(c);
  return bytes;
}

namespace braid {
namespace {

const param::Flag kCheckCollectives{"CHECK_COLLECTIVES", param::kBraidOnly, false,
                                    "1: ranks compare every collective's signature and report the first rank that "
                                    "differs (torch_braid turns it on unless this is set)"};
const param::Seconds kTimeout{"TIMEOUT", param::kBraidOnly, 1800, param::Seconds::kZeroMeansNever,
                              "seconds without progress before an operation fails with ncclTimeout (0 = never); "
                              "rank 0 then names the ranks that never arrived"};
const param::Flag kCallTags{"CALL_TAGS", param::kBraidOnly, true,
                            "0 on any rank: collectives carry no tag of their call, so ranks that make different calls "
                            "are not caught (saves 20-50 ns per small call over the FIFOs; docs/troubleshooting.md)"};
const param::Flag kCrossMemory{"CROSS_MEMORY", param::kBraidOnly, true,
                               "0 on any rank: no cross-memory attach (the CMA protocol)"};
const param::Flag kZeroCopy{"ZERO_COPY", param::kBraidOnly, true,
                            "0 on any rank: collectives never use peers' shared buffers in place"};
// No NCCL_ aliases: NCCL's channels are GPU blocks, and NCCL_MIN_NCHANNELS=32 would mean 31 threads per rank here.
const param::Integer kMaxChannels{"MAX_NCHANNELS",
                                  param::kBraidOnly,
                                  4,
                                  1,
                                  16,
                                  "at most this many channels per large collective of a one-host communicator"};
const param::Integer kMinChannels{"MIN_NCHANNELS",
                                  param::kBraidOnly,
                                  1,
                                  1,
                                  16,
                                  "at least this many channels, whatever the cores (a helper thread each beyond one)"};

// Shared memory between the ranks of each host, and the LL mailboxes when every rank shares this one. Every rank
// takes part in the barriers whenever any host has two ranks, also a rank alone on its host.
void connectLocalPeers(ncclComm* comm, const std::vector<int>& localPeers) {
  if (comm->nodes->members.size() == static_cast<size_t>(comm->nranks)) return;  // one rank per host everywhere
  // The communicator's channels, then the extra collective channels (numbered on from kChannelCount).
  std::vector<ChannelConnections*> channels;
  for (ChannelConnections& c : comm->channels) channels.push_back(&c);
  for (ChannelConnections& c : comm->extraCollectiveChannels) channels.push_back(&c);
  comm->mailbox = connectSharedMemory(*comm->bootstrap, localPeers, channels, comm->nodes->members.size() == 1);
}

// Collectives in place in peers' buffers need every rank to take part: zero copy is on unless some rank set
// BRAID_ZERO_COPY=0, and cross-memory attach (the planner's CMA) where every rank may attach to every peer
// (probed on the mailboxes) and none set BRAID_CROSS_MEMORY=0. All ranks learn what each says, so they agree.
// Returns whether cross-memory attach is on.
bool enableDirectAccess(ncclComm* comm) {
  struct Access {
    int32_t zeroCopy, crossMemory;
  };
  std::vector<Access> all(comm->nranks);
  bool reachesAll = kCrossMemory.get();
  for (int r = 0; r < comm->nranks && reachesAll; ++r)
    reachesAll = r == comm->rank || comm->mailbox->crossMemoryReaches(r);
  all[comm->rank] = {kZeroCopy.get(), reachesAll};
  comm->bootstrap->allGather(all.data(), sizeof(Access));
  const bool zeroCopy = std::all_of(all.begin(), all.end(), [](const Access& a) { return a.zeroCopy != 0; });
  const bool crossMemory = std::all_of(all.begin(), all.end(), [](const Access& a) { return a.crossMemory != 0; });
  // Room for every buffer of a few calls' worth of peers before the oldest mappings go.
  if (zeroCopy) comm->peerBuffers = std::make_unique<PeerBufferMap>(4 * static_cast<size_t>(comm->nranks) + 64);
  if (crossMemory) comm->crossMemoryScratch.reset(new char[DirectRun::kCrossMemoryScratchBytes]);
  if (comm->rank == 0 && !crossMemory)
    BRAID_INFO("INIT", "cross-memory attach is off: %s",
               reachesAll ? "some rank cannot attach to a peer or set "
                            "BRAID_CROSS_MEMORY=0"
                          : "this rank cannot attach to a peer or set BRAID_CROSS_MEMORY=0");
  return crossMemory;
}

// Which ranks share a host, from the identities every rank reported at bootstrap.
NodeLayout nodeLayoutOf(const ncclComm* comm) {
  std::map<uint64_t, int> ids;
  std::vector<int> nodeId;
  for (const auto& peer : comm->bootstrap->peers())
    nodeId.push_back(ids.emplace(peer.hostHash, static_cast<int>(ids.size())).first->second);
  return NodeLayout::fromNodeIds(nodeId);
}

// Where each rank runs, as all ranks learn it: schedules and the planner's choices must be the same on all.
struct Placement {
  int32_t cores;         // the rank may run on
  int32_t numaNode;      // its calling thread is bound within, or -1
  int32_t ringPosition;  // of its accelerator in its host's best ring (BRAID_TOPO_FILE), or -1
  int32_t channels;      // collective channels its cores allow (or BRAID_MIN_NCHANNELS asks for)
};

// Channels per collective this rank could drive, a core each: its share of the usable cores (BRAID_MAX_NCHANNELS,
// default 4, caps them; BRAID_MIN_NCHANNELS asks for at least that many whatever the cores, e.g. for tests). The
// config's maxCTAs and minCTAs stand in for them where they are not set.
int wantedChannels(int cores, int localRanks, const CommConfig& config) {
  auto bound = [](const param::Integer& variable, int configured) {
    return static_cast<int>(variable.setting() || configured == 0 ? variable.get() : configured);
  };
  const int most = bound(kMaxChannels, config.maxChannels);
  const int allowed = std::clamp(cores / std::max(localRanks, 1), 1, most);
  return std::max(allowed, bound(kMinChannels, config.minChannels));
}

// What the ranks settle together at init: the cluster topology is built when any rank asks for it
// (BRAID_TOPO_FILE or its dump on one rank only: building it is collective), and calls carry tags only when
// every rank wants them (the streams must agree on their bytes).
struct AgreedSettings {
  bool clusterTopology;
  bool callTags;
};

// Every rank checks its settings before it joins, but fails only after joining: a bad value on any rank then
// fails every rank at once, naming it, instead of leaving the others to wait for the bootstrap timeout.
AgreedSettings agreeOnSettings(Bootstrap& bootstrap, const std::string& problem, bool wantsClusterTopology,
                               bool wantsCallTags) {
  struct Verdict {
    char problem[512];
    char wantsClusterTopology;
    char wantsCallTags;
  };
  std::vector<Verdict> all(bootstrap.nranks());
  std::snprintf(all[bootstrap.rank()].problem, sizeof(Verdict::problem), "%s", problem.c_str());
  all[bootstrap.rank()].wantsClusterTopology = wantsClusterTopology;
  all[bootstrap.rank()].wantsCallTags = wantsCallTags;
  bootstrap.allGather(all.data(), sizeof(Verdict));
  if (!problem.empty()) fail(ncclInvalidArgument, problem);
  AgreedSettings agreed{false, true};
  for (int r = 0; r < bootstrap.nranks(); ++r) {
    all[r].problem[sizeof(Verdict::problem) - 1] = '\0';  // from a peer: terminate before use
    if (all[r].problem[0]) fail(ncclInvalidArgument, "rank " + std::to_string(r) + ": " + all[r].problem);
    agreed.clusterTopology |= all[r].wantsClusterTopology != 0;
    agreed.callTags &= all[r].wantsCallTags != 0;
  }
  return agreed;
}

std::vector<Placement> gatherPlacements(ncclComm* comm, const NodeLayout& layout, int cores, int channels) {
  std::vector<Placement> all(comm->nranks);
  const int rank = comm->rank;
  const std::vector<int>& host = layout.members[layout.nodeOf[rank]];
  const int hostRanks = static_cast<int>(host.size());
  const int ringPosition =
      comm->topology ? acceleratorRingPosition(*comm->topology, host.front(), layout.localIndex[rank], hostRanks) : -1;
  all[rank] = {cores, callingThreadNumaNode(), ringPosition, channels};
  comm->bootstrap->allGather(all.data(), sizeof(Placement));
  return all;
}

// Rings within a host follow its accelerators' best ring when the topology gives every rank one (neighbours
// share the fastest links), else go NUMA node by NUMA node (ranks that mpirun bound round-robin across the
// sockets would otherwise cross the socket link at every hop).
std::shared_ptr<const NodeLayout> layoutWithRingOrder(NodeLayout layout, const std::vector<Placement>& placements,
                                                      int rank) {
  std::vector<int> locality(placements.size());
  bool byAccelerators = false;
  for (const std::vector<int>& host : layout.members) {
    const bool placed = std::all_of(host.begin(), host.end(), [&](int r) { return placements[r].ringPosition >= 0; });
    byAccelerators |= placed;
    for (int r : host) locality[r] = placed ? placements[r].ringPosition : placements[r].numaNode;
  }
  const std::vector<int> byNode = layout.ringOrder;
  layout.orderWithinNodes(locality);
  if (rank == 0 && layout.ringOrder != byNode) {
    std::string order;
    for (int r : layout.ringOrder) order += (order.empty() ? "" : " ") + std::to_string(r);
    BRAID_INFO("INIT", "rings visit the ranks within each host %s: %s",
               byAccelerators ? "along their accelerators' best ring (BRAID_TOPO_FILE)" : "NUMA node by NUMA node",
               order.c_str());
  }
  return std::make_shared<const NodeLayout>(std::move(layout));
}

// The planner's model from what all ranks agree on: the host layout, and the fewest cores any rank may run on.
planner::FabricModel agreedFabricModel(const ncclComm* comm, const std::vector<Placement>& placements) {
  size_t largest = 1;
  for (const auto& members : comm->nodes->members) largest = std::max(largest, members.size());
  int32_t cores = placements.front().cores;
  for (const Placement& p : placements) cores = std::min(cores, p.cores);
  planner::FabricModel m = hostFabricModel(comm->nranks, static_cast<int>(largest), cores);
  m.equalNodes = comm->nodes->uniform();
  return m;
}

// Once per process: the version line NCCL_DEBUG=VERSION/INFO asks for, what became of the environment plugin,
// and the BRAID_ variables that are no parameter (typos, which would otherwise change nothing without a word).
void greetOnce() {
  logVersionOnce(BRAID_VERSION);
  static std::once_flag once;
  std::call_once(once, [] {
    logPluginReport("ENV", envPluginReport());
    logPluginReport("TUNING", planner::tunerReport());
    logPluginReport("PROFILE", profilerReport());
    for (const std::string& unknown : param::unknownVariables())
      BRAID_WARN("ENV", "%s is set but is no Braid parameter (`braid env` lists them)", unknown.c_str());
  });
}

}  // namespace

void initCommunicator(ncclComm* comm, const UniqueIdContents& id, int nranks, int rank) {
  LogRankScope logRank(rank);
  greetOnce();
  comm->rank = rank;
  comm->nranks = nranks;
  std::string settingsProblem;
  bool wantsClusterTopology = false, wantsCallTags = true;
  try {
    param::checkAll();
    wantsClusterTopology = clusterTopologyRequested();
    wantsCallTags = kCallTags.get();
  } catch (const Error& e) {
    settingsProblem = e.what();
  }
  comm->bootstrap = std::make_unique<Bootstrap>(id, rank, nranks, std::move(comm->membersGone));
  const AgreedSettings agreed = agreeOnSettings(*comm->bootstrap, settingsProblem, wantsClusterTopology, wantsCallTags);
  comm->callTags = agreed.callTags;
  comm->checkCollectives = kCheckCollectives.get();
  comm->timeoutSeconds = kTimeout.get();
  planner::AlgorithmFilter algorithmFilter = algorithmFilterFromEnv();
  planner::ProtocolFilter protocolFilter = protocolFilterFromEnv();
  const CpuAffinity affinity = cpuAffinityFromEnv();
  std::vector<planner::TuningRule> tuningRules = tuningRulesFromEnv();
  for (ChannelConnections& c : comm->channels) {
    c.send.resize(nranks);
    c.recv.resize(nranks);
  }
  std::vector<int> localPeers, remotePeers;
  const auto& peers = comm->bootstrap->peers();
  for (int p = 0; p < nranks; ++p) {
    if (p == rank) continue;
    (peers[p].hostHash == peers[rank].hostHash ? localPeers : remotePeers).push_back(p);
  }
  if (agreed.clusterTopology) comm->topology = buildClusterTopology(comm);
  comm->localRanks = static_cast<int>(localPeers.size()) + 1;
  const int cores = usableCores();
  comm->oversubscribed = comm->localRanks > cores;
  NodeLayout layout = nodeLayoutOf(comm);
  const int channels = wantedChannels(cores, comm->localRanks, comm->config);
  const int localIndex = layout.localIndex[rank];
  const std::string binding = bindCallingThread(affinity, localIndex, comm->localRanks, channels);
  if (!binding.empty())
    BRAID_INFO("INIT", "rank %d: calling thread bound to %s (BRAID_CPU_AFFINITY)", rank, binding.c_str());
  const std::vector<Placement> placements = gatherPlacements(comm, layout, cores, channels);
  comm->nodes = layoutWithRingOrder(std::move(layout), placements, rank);
  // Extra channels run over shared memory only, and only where every rank can drive them.
  int agreedChannels = 1;
  if (comm->nodes->members.size() == 1 && nranks > 1) {
    agreedChannels = channels;
    for (const Placement& p : placements) agreedChannels = std::min<int>(agreedChannels, p.channels);
  }
  comm->extraCollectiveChannels.resize(agreedChannels - 1);
  for (ChannelConnections& c : comm->extraCollectiveChannels) {
    c.send.resize(nranks);
    c.recv.resize(nranks);
  }
  connectLocalPeers(comm, localPeers);
  if (agreedChannels > 1) {
    // Helpers bind next to the calling thread when it was bound (each rank owns `channels` cores).
    comm->channelHelpers = std::make_unique<ChannelHelpers>(
        agreedChannels - 1, comm->localRanks * agreedChannels > cores, &comm->mailbox->ownDoorbell(),
        binding.empty() ? CpuAffinity::None : affinity, localIndex * channels + 1);
    if (rank == 0)
      BRAID_INFO("INIT", "AllReduce, Broadcast and Reduce run on up to %d channels (%zu KiB and more each)",
                 agreedChannels, ChannelsRun::kMinBytesPerChannel / 1024);
  }
  planner::FabricModel model = agreedFabricModel(comm, placements);
  // The same on every rank: all share this host, or none has a mailbox.
  if (!comm->mailbox || !enableDirectAccess(comm)) model.crossMemory.bandwidthGBps = 0;  // no CMA
  comm->planner = std::make_unique<planner::Planner>(
      model, algorithmFilter, std::move(tuningRules), protocolFilter,
      planner::openTunerSession(comm->bootstrap->nonce(), nranks, comm->nodes->members.size()));
  comm->profiler = openProfilerSession(
      {comm->bootstrap->nonce(), comm->config.name, static_cast<int>(comm->nodes->members.size()), nranks, rank});
  NetworkContext network{*comm->bootstrap, comm->channels, comm->config.netName, comm->config.trafficClass,
                         comm->config.channelsPerNetPeer};
  connectRemotePeers(network, remotePeers);
  comm->bootstrap->barrier();
  registerForStatus(
      comm->bootstrap.get(), comm->config.name, [comm] { return comm->status(); },
      [comm](int peer, const std::string& reason) { comm->notePeerFailure(peer, reason); });
  BRAID_INFO("INIT", "rank %d/%d%s%s ready: %zu peers over shm, %zu on other hosts", rank, nranks,
             comm->config.name.empty() ? "" : " of ", comm->config.name.c_str(), localPeers.size(), remotePeers.size());
}

void checkCommunicator(const ncclComm* comm, const char* call) {
  if (!comm) fail(ncclInvalidArgument, std::string(call) + ": comm is NULL");
  if (comm->magic != ncclComm::kMagic)
    fail(ncclInvalidArgument, std::string(call) + ": comm is not a live communicator");
  if (comm->generation != processGeneration())
    fail(ncclInvalidUsage, std::string(call) + ": the communicator belongs to process " +
                               std::to_string(comm->ownerPid) +
                               "; a process forked from it cannot use it (create a new one in the child)");
}

ncclResult_t startInit(ncclComm* comm, const UniqueIdContents& id, int nranks, int rank) {
  if (comm->config.blocking) {
    initCommunicator(comm, id, nranks, rank);
    return ncclSuccess;
  }
  comm->membersGone = [comm, members = std::move(comm->membersGone)] {
    if (comm->stopping.load()) return std::string("the communicator was aborted (ncclCommAbort) during its init");
    return members ? members() : std::string();
  };
  comm->asyncError = ncclInProgress;
  comm->background = std::thread([comm, id, nranks, rank] {
    try {
      initCommunicator(comm, id, nranks, rank);
      ncclResult_t initializing = ncclInProgress;
      comm->asyncError.compare_exchange_strong(initializing, ncclSuccess);
    } catch (const Error& e) {
      {
        std::lock_guard<std::mutex> lock(comm->errorMutex);
        comm->lastError = comm->asyncMessage = e.what();
      }
      comm->asyncError = e.code();
      BRAID_WARN("INIT", "non-blocking init of rank %d failed: %s", rank, e.what());
    }
  });
  return ncclInProgress;
}

void revokeCommunicator(ncclComm* comm) {
  comm->revoked = true;  // before `stopping`, so that whoever sees it stopping says why
  comm->stopping = true;
  comm->awaitQueuedWork();
  // A launch holds the execution mutex until it has failed and recorded its error: once we hold it, none is
  // left, and none can start.
  { std::lock_guard<std::mutex> quiescent(comm->executionMutex); }
  std::lock_guard<std::mutex> lock(comm->errorMutex);
  comm->asyncError = ncclSuccess;  // asyncMessage keeps the failure, for ncclCommShrink's log
}

}  // namespace braid
