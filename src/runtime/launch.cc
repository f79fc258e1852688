#include "runtime/launch.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "base/error.h"
#include "base/idle_waiter.h"
#include "base/log.h"
#include "device/datatype.h"
#include "exec/call_tag.h"
#include "exec/channels_run.h"
#include "exec/direct_run.h"
#include "exec/low_latency_run.h"
#include "exec/rail_counts_run.h"
#include "exec/schedule_run.h"
#include "runtime/call_plan.h"
#include "runtime/collective_check.h"
#include "runtime/communicator.h"
#include "runtime/launch_driver.h"
#include "runtime/launch_profile.h"

namespace braid {
namespace {

// One communicator's share of a launch: the collective now running (preceded by its signature exchange when
// collectives are checked) and the point-to-point batch.
struct ActiveComm {
  // Members start as their initializers say; without a constructor of its own, every launch's resize() would
  // first zero all ~360 bytes (a rep stos, 3% of a small collective).
  ActiveComm() {}
  CommWork* work = nullptr;
  std::unique_lock<std::mutex> lock;  // the communicator's executionMutex
  size_t nextCollective = 0;
  Schedule checkSchedule;
  std::unique_ptr<ScheduleRun> check;
  CollectiveSignature signature;
  std::vector<CollectiveSignature> signatures;
  std::unique_ptr<RailCountsRun> railCounts;  // a hierarchical AlltoAllv's exchange before its schedule
  std::shared_ptr<const Schedule> collectiveSchedule;
  Run* collective = nullptr;  // the collective now running: one of these
  ScheduleRun scheduled;
  std::vector<char*> scheduledBuffers;      // kept, like `scheduled`, from launch to launch: no allocation
  std::optional<LowLatencyRun> lowLatency;  // built in place: an LL call allocates nothing
  std::optional<DirectRun> direct;
  ChannelsRun channelsRun;  // a large collective on several channels, kept like `scheduled`
  int channelCount = 1;     // of the collective now running
  Schedule pointToPointSchedule;
  std::unique_ptr<ScheduleRun> pointToPoint;
  LaunchProfile profile;  // events for a profiler plugin, when the communicator has a session

  // Lets the communicator go and drops what the launch left, but keeps the runs' memory for the next launch.
  void endLaunch() {
    profile.end();
    check.reset();
    railCounts.reset();
    collective = nullptr;
    lowLatency.reset();
    direct.reset();
    channelsRun.stop();  // a failed launch's helpers let go of its buffers before they go
    pointToPoint.reset();
    collectiveSchedule.reset();
    nextCollective = 0;
    work = nullptr;
    if (lock.owns_lock()) lock.unlock();
  }
};

constexpr size_t kAlign = 64;
size_t alignUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// The planner's schedule over the transports, on the buffers startCollective chose.
void startScheduled(ActiveComm& a, size_t elementSize, ReduceFn reduce, uint64_t tag) {
  ncclComm* comm = a.work->comm;
  std::vector<StepObserver*> observers = a.profile.collectiveObservers(a.channelCount);
  if (a.channelCount > 1) {
    a.channelsRun.observe(std::move(observers));
    a.channelsRun.start(a.scheduledBuffers[0], a.scheduledBuffers[1], a.scheduledBuffers[2], reduce, tag);
    a.collective = &a.channelsRun;
    return;
  }
  a.scheduled.observe(observers.empty() ? nullptr : observers.front());
  a.scheduled.start(*a.collectiveSchedule, a.scheduledBuffers, elementSize, reduce, comm->channel(Channel::Collective),
                    tag);
  a.collective = &a.scheduled;
}

// An exchange whose output overlaps its input (an in-place AlltoAll) would overwrite blocks still to be sent.
bool exchangeInPlace(const CollectiveCall& c, size_t elementSize) {
  if (c.shape.kind != CollectiveKind::AlltoAll && c.shape.kind != CollectiveKind::AlltoAllv) return false;
  const auto send = reinterpret_cast<uintptr_t>(c.sendbuff), recv = reinterpret_cast<uintptr_t>(c.recvbuff);
  return send < recv + c.recvSpan * elementSize && recv < send + c.sendSpan * elementSize;
}

// Starts the run call_plan.h decides on, with the schedule it may need (and the staging of its input).
void startCollective(ActiveComm& a) {
  ncclComm* comm = a.work->comm;
  const CollectiveCall& c = a.work->collectives[a.nextCollective];
  if (!a.railCounts && RailCountsRun::needed(c.shape)) {  // back here once the counts have arrived
    a.railCounts = std::make_unique<RailCountsRun>(c.shape, comm->nodes, comm->channel(Channel::Collective));
    return;
  }
  const RunPlan plan = planRun(*comm, c);
  a.profile.collectiveStarted(c, plan, comm->collectivesIssued.load(std::memory_order_relaxed));
  const bool lowLatency = plan.kind == RunPlan::LowLatency;
  const size_t elementSize = dataTypeSize(c.type);
  a.channelCount = plan.channels;
  if (a.railCounts) a.collectiveSchedule = a.railCounts->schedule();
  else a.collectiveSchedule = lowLatency || a.channelCount > 1 ? nullptr : comm->schedules.get(c.shape, comm->nodes);
  a.railCounts.reset();
  // plan() lays the parts' scratch out aligned already.
  const size_t scratchBytes = a.channelCount > 1 ? a.channelsRun.plan(comm->collectiveChannels(), comm->schedules,
                                                                      comm->nodes, c.shape, elementSize, a.channelCount)
                              : lowLatency       ? 0
                                                 : alignUp(a.collectiveSchedule->scratchCount * elementSize);
  const bool exchangeStaged = exchangeInPlace(c, elementSize);  // so its input is copied aside first
  const size_t stagedBytes = c.op.scaleInputs ? c.inputCount * elementSize
                             : exchangeStaged ? c.sendSpan * elementSize
                                              : 0;
  char* workspace = comm->workspaceOf(scratchBytes + stagedBytes);
  const char* input = static_cast<const char*>(c.sendbuff);
  if (c.op.scaleInputs && c.inputCount > 0) {
    // PreMulSum: every rank scales its own input once, then the schedule sums as usual.
    const void* scalar = c.op.scalarSource ? c.op.scalarSource : c.op.scalar;
    scaleElements(c.type, workspace + scratchBytes, input, c.inputCount, scalar);
    input = workspace + scratchBytes;
  } else if (exchangeStaged) {
    std::memcpy(workspace + scratchBytes, input, stagedBytes);
    input = workspace + scratchBytes;
  }
  const ReduceFn reduce = reduceFunction(c.type, c.op.kind);
  const uint64_t tag = callTagOf(*comm, c);
  if (lowLatency) {
    a.collective = &a.lowLatency.emplace(*comm->mailbox, ++comm->lowLatencyIssued, tag, c.shape, elementSize, reduce,
                                         input, static_cast<char*>(c.recvbuff));
    return;
  }
  // Kept for the schedule, also while a direct run finds out whether the ranks must fall back to it.
  a.scheduledBuffers.assign({const_cast<char*>(input), static_cast<char*>(c.recvbuff), workspace});
  // CMA runs direct (and maps what it can); zero copy tries it.
  if (plan.kind == RunPlan::CrossMemory || plan.kind == RunPlan::ZeroCopy) {
    const bool crossMemory = plan.kind == RunPlan::CrossMemory;
    a.collective = &a.direct.emplace(*comm->mailbox, comm->peerBuffers.get(), ++comm->lowLatencyIssued, tag, c.shape,
                                     elementSize, reduce, input, static_cast<char*>(c.recvbuff),
                                     crossMemory ? comm->crossMemoryScratch.get() : nullptr);
    return;
  }
  startScheduled(a, elementSize, reduce, tag);
}

// Counts the next collective as issued and starts it, or first the exchange of its signature.
void beginCollective(ActiveComm& a) {
  ncclComm* comm = a.work->comm;
  const uint64_t sequence = bump(comm->collectivesIssued);
  if (!comm->checkCollectives) return startCollective(a);
  a.signature = signatureOf(a.work->collectives[a.nextCollective], sequence);
  a.signatures.assign(comm->nranks, CollectiveSignature{});
  a.checkSchedule = buildSchedule(signatureExchange(comm->rank, comm->nranks));
  std::vector<char*> buffers = {reinterpret_cast<char*>(&a.signature), reinterpret_cast<char*>(a.signatures.data()),
                                comm->workspaceOf(a.checkSchedule.scratchCount)};
  a.check = std::make_unique<ScheduleRun>(a.checkSchedule, std::move(buffers), 1, nullptr,
                                          comm->channel(Channel::Collective), kNoCallTag);
}

void finishCollective(ActiveComm& a) {
  const CollectiveCall& c = a.work->collectives[a.nextCollective];
  if (c.op.divideByRanks && c.outputCount > 0)
    divideElements(c.type, c.recvbuff, c.outputCount, static_cast<uint64_t>(c.shape.nranks));
  a.collective = nullptr;
  a.lowLatency.reset();
  a.direct.reset();
  a.profile.collectiveFinished();
  ++a.nextCollective;
  bump(a.work->comm->collectivesCompleted);
}

// Advances one communicator's work; returns whether it has more to do.
bool advance(ActiveComm& a, bool& moved) {
  for (;;) {
    if (!a.collective && !a.check && !a.railCounts) {
      if (a.nextCollective == a.work->collectives.size()) break;
      beginCollective(a);
    }
    if (a.check) {
      Run::Progress p = a.check->progress();
      moved |= p.moved;
      if (!p.finished) break;
      a.check.reset();
      checkAgreement(a.signatures);
      startCollective(a);
    }
    if (a.railCounts) {
      Run::Progress p = a.railCounts->progress();
      moved |= p.moved;
      if (!p.finished) break;
      startCollective(a);
    }
    Run::Progress p = a.collective->progress();
    moved |= p.moved;
    if (!p.finished) break;
    if (a.direct) {
      const bool fellBack = a.direct->fellBack();
      const bool crossMemory = a.work->collectives[a.nextCollective].protocol == Protocol::CrossMemory;
      if (!crossMemory && a.work->comm->directAttempts.record(fellBack))
        BRAID_INFO("SHM", "rank %d: %s", a.work->comm->rank,
                   fellBack ? "some rank's buffers are not shared (ncclMemAlloc or registered): collectives go "
                              "through the FIFOs"
                            : "collectives run in place in the ranks' shared buffers (zero copy)");
      if (fellBack) {
        a.direct.reset();
        const CollectiveCall& c = a.work->collectives[a.nextCollective];
        startScheduled(a, dataTypeSize(c.type), reduceFunction(c.type, c.op.kind), callTagOf(*a.work->comm, c));
        continue;
      }
    }
    finishCollective(a);
  }
  if (a.pointToPoint) {
    Run::Progress p = a.pointToPoint->progress();
    moved |= p.moved;
    if (p.finished) a.pointToPoint.reset(), a.profile.pointToPointFinished();
  }
  return a.check || a.railCounts || a.collective || a.pointToPoint;
}

std::string describeWait(const ActiveComm& a) {
  std::string what = rankPrefix(a.work->comm);
  if (a.check)
    what += collectiveName(a.work->collectives[a.nextCollective].shape.kind) +
            std::string(" exchanging its signature (BRAID_CHECK_COLLECTIVES) at ") + a.check->describeWait();
  if (a.railCounts) what += std::string("AlltoAllv exchanging ") + a.railCounts->describeWait();
  if (a.collective) what += collectiveWaitingAt(a.work->collectives[a.nextCollective], *a.collective);
  if (a.pointToPoint)
    what += std::string(a.collective || a.check ? "; " : "") + "send/recv waiting at " + a.pointToPoint->describeWait();
  return what;
}

// The communicators of a launch from work lists (executeWork), the first entries of this thread's list, as
// drive() runs them (launch_driver.h).
struct ActiveSpan {
  ActiveComm* first;
  size_t count;
  ActiveComm* begin() const { return first; }
  ActiveComm* end() const { return first + count; }

  void checkNotStopped() const {
    for (const ActiveComm& a : *this) braid::checkNotStopped(a.work->comm);
  }
  bool advance(bool& moved) const {
    bool pending = false;
    for (ActiveComm& a : *this) pending |= braid::advance(a, moved);
    return pending;
  }
  void wakeSleepingPeers() const {
    for (const ActiveComm& a : *this) wakeSleepingPeersOf(a.work->comm);
  }
  void checkHealth(const IdleWaiter& waiter) const {
    for (ActiveComm& a : *this)
      braid::checkHealth(a.work->comm, waiter, describeWait(a), [&] {
        if (a.check) a.check->checkPeers();
        if (a.railCounts) a.railCounts->checkPeers();
        if (a.collective) a.collective->checkPeers();
        if (a.pointToPoint) a.pointToPoint->checkPeers();
      });
  }
  void recordError(const Error& e) const {
    for (const ActiveComm& a : *this) a.work->comm->recordError(e.code(), e.what(), e.breaksCommunicator());
  }
  int rank() const { return first->work->comm->rank; }
};

// Waits until some peer's point-to-point stream has bytes for this rank, and returns that peer. Peers are
// scanned from a rotating start so that one busy sender cannot starve the others.
int waitForSender(ncclComm* comm) {
  std::lock_guard<std::mutex> lock(comm->executionMutex);
  ChannelConnections& connections = comm->channel(Channel::PointToPoint);
  static thread_local int start = 0;
  IdleWaiter waiter(comm->oversubscribed, doorbellOf(comm));
  for (;;) {
    for (int i = 0; i < comm->nranks; ++i) {
      const int peer = (start + i) % comm->nranks;
      if (peer == comm->rank || connections.recv[peer]->peek().size == 0) continue;
      start = peer + 1;
      return peer;
    }
    waiter.wait();
    if (!waiter.checkDue()) continue;
    checkNotStopped(comm);
    for (int peer = 0; peer < comm->nranks; ++peer) {
      // A sender that left after sending is still the sender.
      if (peer == comm->rank || connections.recv[peer]->peek().size > 0) continue;
      connections.recv[peer]->checkPeer();
    }
    reportWait(comm, waiter, "rank " + std::to_string(comm->rank) + ": receive from any source waiting for a sender");
  }
}

// Marks the communicators of a launch as busy for status reports, and the log lines with their rank.
struct LaunchScope {
  std::vector<CommWork>& work;
  LogRankScope rank;
  explicit LaunchScope(std::vector<CommWork>& w) : work(w), rank(w.front().comm->rank) {
    for (CommWork& c : work) enterLaunch(c.comm);
  }
  // Runs with the executionMutex still held.
  ~LaunchScope() {
    for (CommWork& c : work) leaveLaunch(c.comm);
  }
};

// The puts and signals of a launch (`waits` false) or its waits, in the order they were issued. They need no
// executionMutex: the one-sided mesh has its own connections and locks.
void runOneSided(std::vector<CommWork>& work, bool waits) {
  for (CommWork& w : work)
    for (const OneSidedCall& c : w.oneSided) {
      if ((c.kind == OneSidedCall::Wait) != waits) continue;
      try {
        LogRankScope rank(w.comm->rank);
        OneSidedMesh& mesh = *w.comm->oneSided;
        if (c.kind == OneSidedCall::Wait) mesh.wait(c.waits);
        else if (c.kind == OneSidedCall::PutSignal) mesh.put(c.peer, c.target, c.data, c.bytes, c.context);
        else mesh.signal(c.peer, c.context);
      } catch (const Error& e) {
        w.comm->recordError(e.code(), e.what());
        throw;
      }
    }
}

void executeTwoSided(std::vector<CommWork>& work) {
  // Communicators are locked in address order, a fixed order across threads; the order they run in is free.
  if (work.size() > 1)
    std::sort(work.begin(), work.end(), [](const CommWork& x, const CommWork& y) { return x.comm < y.comm; });
  // This thread's list, reused from launch to launch (launches never nest on a thread), runs and all: a
  // repeated collective allocates nothing.
  thread_local std::vector<ActiveComm> list;
  if (list.size() < work.size()) list.resize(work.size());
  const ActiveSpan active{list.data(), work.size()};
  struct End {
    ActiveSpan active;
    ~End() {
      for (ActiveComm& a : active) a.endLaunch();
    }
  } end{active};
  for (size_t i = 0; i < work.size(); ++i) {
    ActiveComm& a = list[i];
    a.work = &work[i];
    a.lock = std::unique_lock<std::mutex>(a.work->comm->executionMutex);
    a.profile.begin(*a.work);
    if (!a.work->pointToPoint.empty()) {
      try {
        a.pointToPointSchedule = pointToPointGroup(a.work->comm->rank, a.work->pointToPoint);
      } catch (const std::invalid_argument& e) {
        fail(ncclInvalidUsage, e.what());
      }
      std::vector<char*> buffers(kFirstUserBuffer, nullptr);
      buffers.insert(buffers.end(), a.work->pointToPointBuffers.begin(), a.work->pointToPointBuffers.end());
      a.pointToPoint = std::make_unique<ScheduleRun>();
      a.pointToPoint->observe(a.profile.pointToPointObserver());
      a.pointToPoint->start(a.pointToPointSchedule, buffers, 1, nullptr, a.work->comm->channel(Channel::PointToPoint),
                            kNoCallTag);
    }
  }
  LaunchScope scope(work);
  // A launch over several communicators naps instead of sleeping on one of their doorbells: a peer of another
  // would not ring it.
  IdleWaiter waiter(std::any_of(work.begin(), work.end(), [](const CommWork& w) { return w.comm->oversubscribed; }),
                    work.size() == 1 ? doorbellOf(work.front().comm) : nullptr);
  drive(active, waiter);
}

}  // namespace

// Puts and signals first, waits last: a put never waits for its target, so a group that puts to a peer and
// waits for it (or holds a collective with it) cannot deadlock on one whose group does the same.
void executeWork(std::vector<CommWork>& work) {
  runOneSided(work, false);
  if (std::any_of(work.begin(), work.end(),
                  [](const CommWork& w) { return !w.collectives.empty() || !w.pointToPoint.empty(); }))
    executeTwoSided(work);
  runOneSided(work, true);
}

int receiveFromAnySource(ncclComm* comm, void* buffer, size_t bytes) {
  int peer;
  try {
    LogRankScope rank(comm->rank);
    peer = waitForSender(comm);
  } catch (const Error& e) {
    comm->recordError(e.code(), e.what());
    throw;
  }
  std::vector<CommWork> work{{comm, {}, {{false, peer, bytes}}, {static_cast<char*>(buffer)}, {}, {}}};
  executeWork(work);
  return peer;
}

}  // namespace braid
