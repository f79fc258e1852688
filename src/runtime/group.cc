#include "runtime/group.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/error.h"
#include "device/device.h"
#include "device/host/host_stream.h"
#include "runtime/call_plan.h"
#include "runtime/communicator.h"
#include "runtime/launch.h"
#include "runtime/profiler.h"
#include "runtime/staging.h"

namespace braid {
namespace {

struct PendingInit {
  ncclComm* comm;
  std::function<void()> run;
};

struct GroupState {
  int depth = 0;
  std::vector<CommWork> work;
  std::vector<PendingInit> inits;
  // The non-NULL streams the group's calls were given, in first-use order: the first runs all of it, and the
  // others (host streams) join it (StreamJoin).
  std::vector<cudaStream_t> streams;
  std::string dropped;                 // calls dropped from the group (dropFromGroup), for ncclGroupEnd's error
  ncclResult_t failure = ncclSuccess;  // the first call that failed inside the group (failGroup)
  std::string failureMessage;
  // The GroupApi event (profiler plugins), from the group's first call on a communicator whose plugin wants it.
  ProfilerSession* apiProfiler = nullptr;
  void* apiEvent = nullptr;
};

// A thread's launch state. In a shared library every access to a thread-local costs a __tls_get_addr call,
// which the compiler repeats for each use, even through a reference: the functions below look it up once.
struct ThreadLaunches {
  GroupState group;
  std::vector<CommWork> alone;  // see launchAlone
};
__attribute__((noinline)) ThreadLaunches& threadLaunches() {
  thread_local ThreadLaunches launches;
  return launches;
}

CommWork& workFor(ncclComm* comm) {
  GroupState& group = threadLaunches().group;
  for (CommWork& w : group.work)
    if (w.comm == comm) return w;
  group.work.push_back({comm, {}, {}, {}, {}, {}});
  return group.work.back();
}

void noteStream(cudaStream_t stream) {
  std::vector<cudaStream_t>& streams = threadLaunches().group.streams;
  if (stream && std::find(streams.begin(), streams.end(), stream) == streams.end()) streams.push_back(stream);
}

// Orders a group on every host stream it touches, as NCCL orders a group on all of its streams: each other
// stream reaches the group's place in its queue and waits there until the group's work, run on the first
// stream, is done; that work starts only once all of them have arrived. So work queued on any of the streams
// before the group comes before it, and work queued after comes after.
class StreamJoin {
 public:
  explicit StreamJoin(size_t others) : others_(others) {}
  void arriveAndWait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return done_; });
  }
  void awaitOthers() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return arrived_ == others_; });
  }
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t others_, arrived_ = 0;
  bool done_ = false;
};

// The GroupApi event of this thread's group: started at its first call, as NCCL does, by that call's
// communicator's profiler session (if its plugin wants the event).
void* groupApiEvent(ncclComm* comm) {
  GroupState& group = threadLaunches().group;
  ProfilerSession* profiler = comm->profiler.get();
  if (group.apiProfiler || !profiler || !profiler->wants(ncclProfileGroupApi)) return group.apiEvent;
  ProfilerEvent e;
  e.type = ncclProfileGroupApi;
  e.groupDepth = group.depth;
  group.apiProfiler = profiler;
  group.apiEvent = profiler->start(e);
  profiler->record(group.apiEvent, ncclProfilerGroupStartApiStop, 0);
  return group.apiEvent;
}

// Ends a group's GroupApi event when its ncclGroupEnd returns (or fails).
struct GroupApiEnd {
  ProfilerSession* profiler;
  void* event;
  ~GroupApiEnd() {
    if (profiler) profiler->stop(event);
  }
};

// A call's CollApi or P2pApi event (profiler plugins), from the call's start until it is queued.
class CallApiEvent {
 public:
  CallApiEvent(ncclComm* comm, ProfilerEvent e) {
    ProfilerSession* profiler = comm->profiler.get();
    if (!profiler || !profiler->wants(e.type)) return;
    e.parent = groupApiEvent(comm);
    profiler_ = profiler;
    handle_ = profiler->start(e);
  }
  ~CallApiEvent() {
    if (profiler_) profiler_->stop(handle_);
  }
  void* handle() const { return handle_; }

 private:
  ProfilerSession* profiler_ = nullptr;
  void* handle_ = nullptr;
};

// KernelLaunch events (profiler plugins): handing each communicator's share of a group to its stream, until
// it is queued there or, on the NULL stream, starts running.
class LaunchEvents {
 public:
  LaunchEvents(const std::vector<CommWork>& work, cudaStream_t stream, void* groupApi) {
    for (const CommWork& w : work) {
      ProfilerSession* profiler = w.comm->profiler.get();
      if (!profiler || !profiler->wants(ncclProfileKernelLaunch)) continue;
      ProfilerEvent e;
      e.type = ncclProfileKernelLaunch;
      e.parent = groupApi;
      e.stream = stream;
      started_.push_back({profiler, profiler->start(e)});
    }
  }
  ~LaunchEvents() { stop(); }
  void stop() {
    for (auto& [profiler, handle] : started_) profiler->stop(handle);
    started_.clear();
  }

 private:
  std::vector<std::pair<ProfilerSession*, void*>> started_;
};

// Runs deferred inits, each in its own thread since they wait for one another.
void runInits(std::vector<PendingInit> inits) {
  if (inits.size() == 1) return inits.front().run();
  std::vector<std::exception_ptr> errors(inits.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inits.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        inits[i].run();
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (std::thread& t : threads) t.join();
  for (std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

// Runs `task` now (NULL stream) or queues it on a host stream; queued, it counts as in flight on `comms`.
void runOn(cudaStream_t stream, std::vector<ncclComm*> comms, std::function<void()> task) {
  HostStream* hostStream = HostStream::fromHandle(stream);
  if (!hostStream) return task();
  for (ncclComm* c : comms) ++c->inflight;
  hostStream->enqueue([comms = std::move(comms), task = std::move(task)] {
    struct Release {
      const std::vector<ncclComm*>& comms;
      ~Release() {
        for (ncclComm* c : comms) --c->inflight;
      }
    } release{comms};
    task();
  });
}

// Runs or queues `work` on the group's streams; the queued paths take it over (move from it). Device streams
// beyond the first are not joined (the staging path runs on the first).
void launch(std::vector<CommWork>& work, const std::vector<cudaStream_t>& streams, void* groupApiEvent) {
  const cudaStream_t stream = streams.empty() ? nullptr : streams.front();
  LaunchEvents launchEvents(work, stream, groupApiEvent);
  if (launchOnDevice(work, stream)) return;  // device memory or an accelerator's stream
  if (!stream) {                             // the NULL stream: now, with nothing to wrap
    launchEvents.stop();
    return executeWork(work);
  }
  std::vector<ncclComm*> comms;
  for (CommWork& w : work) comms.push_back(w.comm);
  std::vector<HostStream*> others;
  for (size_t i = 1; i < streams.size(); ++i)
    if (HostStream::isHostStream(streams[i])) others.push_back(HostStream::fromHandle(streams[i]));
  if (others.empty()) return runOn(stream, std::move(comms), [work = std::move(work)]() mutable { executeWork(work); });
  auto join = std::make_shared<StreamJoin>(others.size());
  for (HostStream* other : others) other->enqueue([join] { join->arriveAndWait(); });
  runOn(stream, std::move(comms), [work = std::move(work), join]() mutable {
    struct Finish {
      StreamJoin& join;
      ~Finish() { join.finish(); }  // also when the work fails: the other streams go on (and see no error)
    } finish{*join};
    join->awaitOthers();
    executeWork(work);
  });
}

// A collective outside any group on the NULL stream, the common case, runs from a work list this thread keeps:
// the call allocates nothing once the list has grown to fit.
void launchAlone(std::vector<CommWork>& alone, ncclComm* comm, CollectiveCall&& call) {
  alone.resize(1);  // also after a launch that took the list over
  CommWork& w = alone.front();
  w.comm = comm;
  w.collectives.push_back(std::move(call));
  struct Reset {
    std::vector<CommWork>& list;
    ~Reset() {
      if (!list.empty()) list.front().collectives.clear();  // keeps the capacity
    }
  } reset{alone};
  launch(alone, {}, nullptr);
}

// Validates the handle before anything is recorded: a host stream, or an accelerator's.
void checkStream(cudaStream_t stream) {
  if (!device::acceleratorOfStream(stream)) HostStream::fromHandle(stream);
}

}  // namespace

void groupStart() { ++threadLaunches().group.depth; }

bool inGroup() { return threadLaunches().group.depth > 0; }

void groupEnd() {
  GroupState& group = threadLaunches().group;
  if (group.depth == 0) fail(ncclInvalidUsage, "ncclGroupEnd without a matching ncclGroupStart");
  if (--group.depth > 0) return;
  GroupState taken = std::move(group);
  group = GroupState{};
  GroupApiEnd apiEnd{taken.apiProfiler, taken.apiEvent};
  if (taken.apiProfiler) taken.apiProfiler->record(taken.apiEvent, ncclProfilerGroupEndApiStart, 0);
  if (!taken.inits.empty()) runInits(std::move(taken.inits));
  if (taken.failure != ncclSuccess)
    fail(taken.failure,
         "ncclGroupEnd: none of the group's calls ran, because one failed inside it: " + taken.failureMessage);
  if (!taken.work.empty()) launch(taken.work, taken.streams, taken.apiEvent);
  if (!taken.dropped.empty()) fail(ncclInvalidUsage, "ncclGroupEnd: " + taken.dropped);
}

void failGroup(ncclResult_t code, const std::string& message) {
  GroupState& group = threadLaunches().group;
  if (group.depth == 0 || group.failure != ncclSuccess) return;
  group.failure = code;
  group.failureMessage = message;
}

double groupSimulateEnd() {
  GroupState& group = threadLaunches().group;
  if (group.depth == 0) fail(ncclInvalidUsage, "ncclGroupSimulateEnd without a matching ncclGroupStart");
  if (group.depth > 1) fail(ncclInvalidUsage, "ncclGroupSimulateEnd must end the outermost group");
  GroupState taken = std::move(group);
  group = GroupState{};
  GroupApiEnd apiEnd{taken.apiProfiler, taken.apiEvent};
  if (!taken.inits.empty()) runInits(std::move(taken.inits));
  double us = 0;
  if (taken.failure != ncclSuccess)
    fail(taken.failure, "ncclGroupSimulateEnd: a call failed inside the group: " + taken.failureMessage);
  for (const CommWork& w : taken.work) us = std::max(us, predictedMicroseconds(*w.comm, w));
  if (!taken.dropped.empty()) fail(ncclInvalidUsage, "ncclGroupSimulateEnd: " + taken.dropped);
  return us;
}

void dropFromGroup(ncclComm* comm, const char* call) {
  GroupState& group = threadLaunches().group;
  if (group.depth == 0) return;
  size_t calls = 0;
  for (auto w = group.work.begin(); w != group.work.end(); ++w)
    if (w->comm == comm) {
      calls = w->collectives.size() + w->pointToPoint.size() + w->oneSided.size();
      group.work.erase(w);
      break;
    }
  auto init =
      std::find_if(group.inits.begin(), group.inits.end(), [&](const PendingInit& i) { return i.comm == comm; });
  const bool hadInit = init != group.inits.end();
  if (hadInit) group.inits.erase(init);
  if (calls == 0 && !hadInit) return;
  group.dropped +=
      std::string(group.dropped.empty() ? "" : "; ") + call + " inside the group dropped " +
      (hadInit ? std::string("the communicator's init") : std::to_string(calls) + " call(s) recorded on it");
}

void enqueueCollective(ncclComm* comm, CollectiveCall&& call, cudaStream_t stream) {
  comm->checkUsable();
  checkStream(stream);
  planCall(comm, call);
  ThreadLaunches& thread = threadLaunches();
  // A profiled call goes the group's way, where its events are.
  if (thread.group.depth == 0 && !stream && !(comm->profiler && comm->profiler->emitsAny())) {
    if (executeAlone(comm, call)) return;
    return launchAlone(thread.alone, comm, std::move(call));
  }
  groupStart();
  noteStream(stream);
  ProfilerEvent api;
  api.type = ncclProfileCollApi;
  api.funcName = collectiveName(call.shape.kind);
  api.count = call.shape.count;
  api.datatype = call.type;
  api.root = call.shape.root;
  api.stream = stream;
  {
    const CallApiEvent apiEvent(comm, api);  // ends when the call is queued, before the group's end (as NCCL's)
    call.apiEvent = apiEvent.handle();
    workFor(comm).collectives.push_back(std::move(call));
  }
  groupEnd();
}

// Records a call on `comm` in this thread's group (a group of one outside any): `add` puts it in the
// communicator's work.
template <class Add>
void record(ncclComm* comm, cudaStream_t stream, Add&& add) {
  comm->checkUsable();
  checkStream(stream);
  groupStart();
  noteStream(stream);
  add(workFor(comm));
  groupEnd();
}

void enqueuePointToPoint(ncclComm* comm, PointToPointCall call, void* buffer, cudaStream_t stream) {
  ProfilerEvent api;
  api.type = ncclProfileP2pApi;
  api.funcName = call.isSend ? "Send" : "Recv";
  api.count = call.bytes;  // as its P2p event (launch_profile.cc)
  api.stream = stream;
  record(comm, stream, [&](CommWork& w) {
    const CallApiEvent apiEvent(comm, api);  // ends when the call is queued, before the group's end (as NCCL's)
    w.pointToPoint.push_back(call);
    w.pointToPointBuffers.push_back(static_cast<char*>(buffer));
    if (apiEvent.handle()) {
      w.pointToPointApiEvents.resize(w.pointToPoint.size() - 1, nullptr);
      w.pointToPointApiEvents.push_back(apiEvent.handle());
    }
  });
}

void enqueueOneSided(ncclComm* comm, OneSidedCall call, cudaStream_t stream) {
  record(comm, stream, [&](CommWork& w) { w.oneSided.push_back(std::move(call)); });
}

void enqueueAnySourceReceive(ncclComm* comm, void* buffer, size_t bytes, int* source, cudaStream_t stream) {
  if (inGroup()) fail(ncclInvalidUsage, "a receive from any source cannot be part of a group");
  comm->checkUsable();
  runOn(stream, {comm}, [=] { *source = receiveFromAnySource(comm, buffer, bytes); });
}

void enqueueInit(ncclComm* comm, std::function<void()> init) {
  groupStart();
  threadLaunches().group.inits.push_back({comm, std::move(init)});
  groupEnd();
}

}  // namespace braid
