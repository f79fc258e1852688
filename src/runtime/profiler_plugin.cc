// Loading a profiler plugin and speaking each version's ABI (include/braid/profiler_plugin.h): Braid's events
// (ProfilerEvent) become ncclProfilerEventDescr_v1_t ... v6_t, each with what its version knows.
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <optional>

#include "base/log.h"
#include "base/params.h"
#include "base/plugin_library.h"
#include "device/datatype.h"
#include "runtime/profiler.h"

namespace braid {
namespace {

const param::Text kProfilerPlugin{"PROFILER_PLUGIN",
                                  param::kNcclAlias,
                                  "name",
                                  "a plugin name (foo: libnccl-profiler-foo.so), a path or none",
                                  nullptr,
                                  nullptr,
                                  "NCCL profiler plugin that receives Braid's events (unset: libnccl-profiler.so "
                                  "if present)"};

// Its log lines join Braid's under the PROFILE subsystem.
constexpr char kProfileSubsystem[] = "PROFILE";
constexpr auto profilerLog = pluginLogger<kProfileSubsystem>;

constexpr uint64_t kApiEvents = ncclProfileGroupApi | ncclProfileCollApi | ncclProfileP2pApi | ncclProfileKernelLaunch;

// The event types that go out for an activation mask: each type that is activated or has an activated type
// below it (NCCL starts a parent so that its children have one).
uint64_t emittedFor(int mask, int version) {
  const uint64_t step = ncclProfileProxyStep | ncclProfileNetPlugin;
  const uint64_t traffic = ncclProfileProxyOp | step;
  const uint64_t collective = ncclProfileColl | traffic | ncclProfileKernelCh;
  const uint64_t pointToPoint = ncclProfileP2p | traffic | ncclProfileKernelCh;
  const struct {
    uint64_t type, below;
  } rules[] = {
      {ncclProfileGroupApi, kApiEvents | ncclProfileGroup | collective | pointToPoint},
      {ncclProfileCollApi, ncclProfileCollApi | collective},
      {ncclProfileP2pApi, ncclProfileP2pApi | pointToPoint},
      {ncclProfileKernelLaunch, ncclProfileKernelLaunch},
      {ncclProfileGroup, ncclProfileGroup | collective | pointToPoint},
      {ncclProfileColl, collective},
      {ncclProfileP2p, pointToPoint},
      {ncclProfileProxyOp, traffic},
      {ncclProfileProxyStep, step},
  };
  uint64_t emitted = 0;
  for (const auto& rule : rules)
    if (static_cast<uint64_t>(mask) & rule.below) emitted |= rule.type;
  return version >= 5 ? emitted : emitted & ~kApiEvents;  // events older versions do not know
}

// What every event of a session carries besides its own fields.
struct SessionFacts {
  std::string commName;
  uint64_t commId;
  int rank;
  pid_t pid;
};

// `event` in version V's descriptor `d` (zeroed by the caller).
template <int V, class Descr>
void describe(Descr& d, const ProfilerEvent& e, const SessionFacts& s) {
  d.type = static_cast<decltype(d.type)>(e.type);
  d.rank = s.rank;
  const bool call = e.type == ncclProfileColl || e.type == ncclProfileP2p;
  d.parentObj = call && V < 5 ? e.parentGroup : e.parent;  // before v5 a call's parent is its group
  if (e.type == ncclProfileColl) {
    auto& c = d.coll;
    if constexpr (V <= 3) c.name = s.commName.c_str(), c.commHash = s.commId;
    if constexpr (V == 1) {
      c.func = static_cast<uint8_t>(e.func);
      c.datatype = static_cast<uint8_t>(e.datatype);
      c.op = e.op;
      c.algo = static_cast<uint8_t>(e.algo);
      c.proto = static_cast<uint8_t>(e.proto);
    } else {
      c.func = e.funcName;
      c.datatype = ncclDataTypeName(e.datatype);
      c.algo = e.algoName;
      c.proto = e.protoName;
    }
    if constexpr (V <= 2) c.trafficBytes = e.trafficBytes;
    if constexpr (V <= 3) c.nMaxChannels = static_cast<uint8_t>(e.nChannels);
    else c.nChannels = static_cast<uint8_t>(e.nChannels);
    if constexpr (V >= 5) c.parentGroup = e.parentGroup;
    c.seqNumber = e.seqNumber;
    c.sendBuff = e.sendBuff;
    c.recvBuff = e.recvBuff;
    c.count = e.count;
    c.root = e.root;
  } else if (e.type == ncclProfileP2p) {
    auto& p = d.p2p;
    if constexpr (V <= 3) p.name = s.commName.c_str(), p.commHash = s.commId;
    if constexpr (V == 1) p.func = static_cast<uint8_t>(e.func), p.datatype = static_cast<uint8_t>(e.datatype);
    else p.func = e.funcName, p.datatype = ncclDataTypeName(e.datatype);
    if constexpr (V >= 4) p.nChannels = static_cast<uint8_t>(e.nChannels);
    if constexpr (V >= 5) p.parentGroup = e.parentGroup;
    p.buff = e.recvBuff;
    p.count = e.count;
    p.peer = e.peer;
  } else if (e.type == ncclProfileProxyOp) {
    d.proxyOp.pid = s.pid;
    d.proxyOp.channelId = static_cast<uint8_t>(e.channel);
    d.proxyOp.peer = e.peer;
    d.proxyOp.nSteps = e.nSteps;
    d.proxyOp.chunkSize = static_cast<int>(e.chunkSize);
    d.proxyOp.isSend = e.isSend;
  } else if (e.type == ncclProfileProxyStep) {
    d.proxyStep.step = e.step;
  } else if constexpr (V >= 5) {
    if (e.type == ncclProfileGroupApi) {
      d.groupApi.groupDepth = e.groupDepth;
    } else if (e.type == ncclProfileCollApi) {
      d.collApi.func = e.funcName;
      d.collApi.count = e.count;
      d.collApi.datatype = ncclDataTypeName(e.datatype);
      d.collApi.root = e.root;
      d.collApi.stream = e.stream;
    } else if (e.type == ncclProfileP2pApi) {
      d.p2pApi.func = e.funcName;
      d.p2pApi.count = e.count;
      d.p2pApi.datatype = ncclDataTypeName(e.datatype);
      d.p2pApi.stream = e.stream;
    } else if (e.type == ncclProfileKernelLaunch) {
      d.kernelLaunch.stream = e.stream;
    }
  }
}

template <int V, class Table, class Descr, class Args>
class VersionedSession : public ProfilerSession {
 public:
  VersionedSession(const Table* table, void* context, int mask, SessionFacts facts)
      : table_(table), context_(context), facts_(std::move(facts)) {
    emitted_ = emittedFor(mask, V);
  }
  ~VersionedSession() override { table_->finalize(context_); }

  void* start(const ProfilerEvent& event) override {
    Descr descr{};
    describe<V>(descr, event, facts_);
    void* handle = nullptr;
    check(table_->startEvent(context_, &handle, &descr), "startEvent");
    return handle;
  }
  void stop(void* handle) override {
    if (handle) check(table_->stopEvent(handle), "stopEvent");
  }
  void record(void* handle, ncclProfilerEventState_t state, size_t transSize) override {
    if (!handle) return;
    Args args{};
    if constexpr (V <= 3) args.proxyOp.transSize = transSize;
    else args.proxyStep.transSize = transSize;
    check(table_->recordEventState(handle, state, &args), "recordEventState");
  }

 private:
  // A failing call loses that event only; the first failure is logged.
  void check(ncclResult_t r, const char* call) {
    if (r == ncclSuccess || warned_.exchange(true)) return;
    BRAID_WARN("PROFILE", "profiler plugin %s: %s failed with NCCL result %d (further failures not logged)",
               table_->name, call, static_cast<int>(r));
  }

  const Table* table_;
  void* context_;
  SessionFacts facts_;
  std::atomic<bool> warned_{false};
};

// A loaded library through one version's table.
class Profiler {
 public:
  virtual ~Profiler() = default;
  virtual const char* name() const = 0;
  virtual int version() const = 0;
  virtual std::unique_ptr<ProfilerSession> open(const ProfilerFacts& facts) = 0;
};

template <int V, class Table, class Descr, class Args>
class VersionedProfiler : public Profiler {
 public:
  explicit VersionedProfiler(const Table* table) : table_(table) {}
  const char* name() const override { return table_->name; }
  int version() const override { return V; }
  std::unique_ptr<ProfilerSession> open(const ProfilerFacts& f) override {
    void* context = nullptr;
    int mask = 0;
    ncclResult_t r;
    if constexpr (V <= 3) r = table_->init(&context, &mask);
    else if constexpr (V == 4)
      r = table_->init(&context, &mask, f.commName.c_str(), f.commId, f.nNodes, f.nranks, f.rank, profilerLog);
    else r = table_->init(&context, f.commId, &mask, f.commName.c_str(), f.nNodes, f.nranks, f.rank, profilerLog);
    if (r != ncclSuccess) {
      BRAID_WARN("PROFILE",
                 "profiler plugin %s: init failed with NCCL result %d; this communicator goes on "
                 "without it",
                 table_->name, static_cast<int>(r));
      return nullptr;
    }
    BRAID_INFO("PROFILE", "rank %d: profiler plugin %s (ncclProfiler_v%d) activated event mask 0x%x", f.rank,
               table_->name, V, static_cast<unsigned>(mask));
    return std::make_unique<VersionedSession<V, Table, Descr, Args>>(
        table_, context, mask, SessionFacts{f.commName, f.commId, f.rank, getpid()});
  }

 private:
  const Table* table_;
};

template <int V, class Table, class Descr, class Args>
std::unique_ptr<Profiler> adapt(void* library, const char* symbol) {
  const auto* table = static_cast<const Table*>(dlsym(library, symbol));
  return table ? std::make_unique<VersionedProfiler<V, Table, Descr, Args>>(table) : nullptr;
}

std::unique_ptr<Profiler> newestProfiler(void* library) {
  using A1 = ncclProfilerEventStateArgs_v1_t;
  if (auto p = adapt<6, ncclProfiler_v6_t, ncclProfilerEventDescr_v6_t, ncclProfilerEventStateArgs_v6_t>(
          library, "ncclProfiler_v6"))
    return p;
  if (auto p = adapt<5, ncclProfiler_v5_t, ncclProfilerEventDescr_v5_t, ncclProfilerEventStateArgs_v5_t>(
          library, "ncclProfiler_v5"))
    return p;
  if (auto p = adapt<4, ncclProfiler_v4_t, ncclProfilerEventDescr_v4_t, ncclProfilerEventStateArgs_v4_t>(
          library, "ncclProfiler_v4"))
    return p;
  if (auto p = adapt<3, ncclProfiler_v3_t, ncclProfilerEventDescr_v3_t, A1>(library, "ncclProfiler_v3")) return p;
  if (auto p = adapt<2, ncclProfiler_v2_t, ncclProfilerEventDescr_v2_t, A1>(library, "ncclProfiler_v2")) return p;
  return adapt<1, ncclProfiler_v1_t, ncclProfilerEventDescr_v1_t, A1>(library, "ncclProfiler_v1");
}

using Loaded = LoadedPlugin<Profiler>;

Loaded load() {
  return loadNewestPlugin<Profiler>("profiler", kProfilerPlugin.get(), "ncclProfiler_v", "ncclProfiler_v1 to v6",
                                    newestProfiler);
}

const Loaded& loadedOnce() {
  static const Loaded* loaded = new Loaded(load());  // never freed: sessions may end at any time
  return *loaded;
}

}  // namespace

std::unique_ptr<ProfilerSession> openProfilerSession(const ProfilerFacts& facts) {
  const Loaded& loaded = loadedOnce();
  return loaded.plugin ? loaded.plugin->open(facts) : nullptr;
}

PluginReport profilerReport() { return loadedOnce().report; }

}  // namespace braid
