// An example profiler plugin: every communicator's events become one Chrome-trace JSON file per rank, which
// chrome://tracing and https://ui.perfetto.dev open (docs/observability.md). It exports ncclProfiler_v1 to _v6
// (built with BRAID_EXAMPLE_PROFILER_ABI=N: version N alone, for the tests).
//
// Settings (read by the plugin itself, from the environment):
//   BRAID_PROFILER_TRACE_DIR  where the files go (default: the working directory), named
//                             braid-trace-<communicator name or id>-rank<R>.json
//   BRAID_PROFILER_EVENTS     the activation mask (a number, e.g. 0x1f; default: every event type the version
//                             knows that Braid emits)
//   BRAID_PROFILER_MAX_EVENTS events kept per communicator (default 1000000); later ones are counted, not kept
//
// The trace: one process per rank; lane "api" holds the API events (v5 and later), lane "calls" the groups,
// collectives and point-to-point calls, and one lane per channel, peer and direction the traffic (ProxyOp)
// with its steps (ProxyStep) nested inside; a step's state changes are its arguments.
#include <inttypes.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "braid/profiler_plugin.h"

namespace {

double nowMicroseconds() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);  // one clock for all processes of a host: their traces line up
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

std::string escaped(const char* text) {
  std::string out;
  for (const char* c = text ? text : ""; *c; ++c) {
    if (*c == '"' || *c == '\\') out += '\\';
    if (static_cast<unsigned char>(*c) >= 0x20) out += *c;
  }
  return out;
}

struct Context;

struct Event {
  Context* context;
  size_t id;    // its place in its context's list
  long parent;  // the parent's id; -1: none (or another communicator's)
  uint64_t type;
  std::string name;
  std::string args;  // JSON members, each starting with a comma
  int lane;
  double start, stop = -1;
};

const char* typeName(uint64_t type) {
  switch (type) {
    case ncclProfileGroup: return "Group";
    case ncclProfileColl: return "Coll";
    case ncclProfileP2p: return "P2p";
    case ncclProfileProxyOp: return "ProxyOp";
    case ncclProfileProxyStep: return "ProxyStep";
    case ncclProfileGroupApi: return "GroupApi";
    case ncclProfileCollApi: return "CollApi";
    case ncclProfileP2pApi: return "P2pApi";
    case ncclProfileKernelLaunch: return "KernelLaunch";
    default: return "Other";
  }
}

const char* stateName(ncclProfilerEventState_t state) {
  switch (state) {
    case ncclProfilerProxyStepSendGPUWait: return "SendGPUWait";
    case ncclProfilerProxyStepSendPeerWait_v4: return "SendPeerWait";
    case ncclProfilerProxyStepSendWait: return "SendWait";
    case ncclProfilerProxyStepRecvWait: return "RecvWait";
    case ncclProfilerProxyStepRecvFlushWait: return "RecvFlushWait";
    case ncclProfilerProxyStepRecvGPUWait: return "RecvGPUWait";
    case ncclProfilerGroupStartApiStop: return "GroupStartApiStop";
    case ncclProfilerGroupEndApiStart: return "GroupEndApiStart";
    default: return "State";
  }
}

constexpr int kApiLane = 1, kCallLane = 2;
int trafficLane(int channel, int peer, bool isSend) { return 1000 + channel * 10000 + peer * 2 + (isSend ? 1 : 0); }

struct Context {
  std::mutex mutex;
  std::string commName;
  uint64_t commId = 0;
  int rank = -1;  // v1-v3 learn it from the first event
  int nranks = 0;
  size_t maxEvents = 1000000;
  size_t dropped = 0;
  std::deque<Event> events;  // handles point into it: a deque never moves what it holds
  std::map<int, std::string> laneNames;
};

std::string traceDirectory() {
  const char* dir = std::getenv("BRAID_PROFILER_TRACE_DIR");
  return dir && *dir ? dir : ".";
}

int activationMask(int version) {
  if (const char* mask = std::getenv("BRAID_PROFILER_EVENTS")) return static_cast<int>(std::strtol(mask, nullptr, 0));
  const int calls = ncclProfileGroup | ncclProfileColl | ncclProfileP2p | ncclProfileProxyOp | ncclProfileProxyStep;
  const int api = ncclProfileGroupApi | ncclProfileCollApi | ncclProfileP2pApi | ncclProfileKernelLaunch;
  return version >= 5 ? calls | api : calls;
}

Context* newContext(int version, int* mask, const char* commName, uint64_t commId, int nranks, int rank) {
  auto* c = new Context;
  c->commName = commName ? commName : "";
  c->commId = commId;
  c->nranks = nranks;
  c->rank = rank;
  if (const char* max = std::getenv("BRAID_PROFILER_MAX_EVENTS")) c->maxEvents = std::strtoull(max, nullptr, 0);
  *mask = activationMask(version);
  return c;
}

// Version N's descriptor as a name, a lane and arguments.
template <int V, class Descr>
void read(const Descr& d, Context& c, Event& e) {
  char text[256];
  e.name = typeName(d.type);
  e.lane = kCallLane;
  if (d.type == ncclProfileColl) {
    const auto& coll = d.coll;
    if constexpr (V <= 3)
      if (c.commName.empty() && coll.name) c.commName = coll.name, c.commId = coll.commHash;
    if constexpr (V == 1) {
      snprintf(text, sizeof text, ",\"func\":%d,\"datatype\":%d,\"algo\":%d,\"proto\":%d,\"op\":%u", coll.func,
               coll.datatype, coll.algo, coll.proto, coll.op);
      e.name = "Coll " + std::to_string(coll.func);
    } else {
      snprintf(text, sizeof text, ",\"func\":\"%s\",\"datatype\":\"%s\",\"algo\":\"%s\",\"proto\":\"%s\"",
               escaped(coll.func).c_str(), escaped(coll.datatype).c_str(), escaped(coll.algo).c_str(),
               escaped(coll.proto).c_str());
      e.name = coll.func;
    }
    e.args = text;
    int channels;
    if constexpr (V <= 3) channels = coll.nMaxChannels;
    else channels = coll.nChannels;
    snprintf(text, sizeof text, ",\"seq\":%" PRIu64 ",\"count\":%zu,\"root\":%d,\"channels\":%d", coll.seqNumber,
             coll.count, coll.root, channels);
    e.args += text;
  } else if (d.type == ncclProfileP2p) {
    if constexpr (V <= 3)
      if (c.commName.empty() && d.p2p.name) c.commName = d.p2p.name, c.commId = d.p2p.commHash;
    if constexpr (V == 1) e.name = d.p2p.func == ncclFuncSend ? "Send" : "Recv";
    else e.name = d.p2p.func;
    snprintf(text, sizeof text, ",\"peer\":%d,\"count\":%zu", d.p2p.peer, d.p2p.count);
    e.args = text;
  } else if (d.type == ncclProfileProxyOp) {
    const auto& op = d.proxyOp;
    e.lane = trafficLane(op.channelId, op.peer, op.isSend);
    snprintf(text, sizeof text, "ch%d %s rank %d", op.channelId, op.isSend ? "send to" : "recv from", op.peer);
    c.laneNames.emplace(e.lane, text);
    e.name = op.isSend ? "send" : "recv";
    snprintf(text, sizeof text, ",\"peer\":%d,\"channel\":%d,\"steps\":%d,\"chunkSize\":%d", op.peer, op.channelId,
             op.nSteps, op.chunkSize);
    e.args = text;
  } else if (d.type == ncclProfileProxyStep) {
    auto* parent = static_cast<const Event*>(d.parentObj);
    e.lane = parent ? parent->lane : kCallLane;
    e.name = "step " + std::to_string(d.proxyStep.step);
  } else if constexpr (V >= 5) {
    e.lane = kApiLane;
    if (d.type == ncclProfileCollApi) {
      e.name = std::string(d.collApi.func) + " call";
      snprintf(text, sizeof text, ",\"count\":%zu,\"datatype\":\"%s\"", d.collApi.count,
               escaped(d.collApi.datatype).c_str());
      e.args = text;
    } else if (d.type == ncclProfileP2pApi) {
      e.name = std::string(d.p2pApi.func) + " call";
    }
  }
}

template <int V, class Descr>
ncclResult_t startEvent(void* context, void** handle, Descr* d) {
  auto& c = *static_cast<Context*>(context);
  std::lock_guard<std::mutex> lock(c.mutex);
  *handle = nullptr;
  if (c.rank < 0) c.rank = d->rank;
  if (c.events.size() >= c.maxEvents) {
    ++c.dropped;
    return ncclSuccess;
  }
  auto* parent = static_cast<const Event*>(d->parentObj);
  const long parentId = parent && parent->context == &c ? static_cast<long>(parent->id) : -1;
  Event e{&c, c.events.size(), parentId, d->type, "", "", kCallLane, nowMicroseconds()};
  read<V>(*d, c, e);
  c.events.push_back(std::move(e));
  *handle = &c.events.back();
  return ncclSuccess;
}

ncclResult_t stopEvent(void* handle) {
  auto* e = static_cast<Event*>(handle);
  std::lock_guard<std::mutex> lock(e->context->mutex);
  e->stop = nowMicroseconds();
  return ncclSuccess;
}

// A state change becomes an argument: its time from the event's start, and the bytes it reports.
ncclResult_t recordEventState(void* handle, ncclProfilerEventState_t state, size_t bytes) {
  auto* e = static_cast<Event*>(handle);
  std::lock_guard<std::mutex> lock(e->context->mutex);
  char text[128];
  snprintf(text, sizeof text, ",\"%s_us\":%.3f", stateName(state), nowMicroseconds() - e->start);
  e->args += text;
  if (bytes) e->args += ",\"bytes\":" + std::to_string(bytes);
  return ncclSuccess;
}

// v1-v3 report a step's bytes as a proxy operation's, v4 and later as the step's.
template <class Args>
ncclResult_t record(void* handle, ncclProfilerEventState_t state, Args* args) {
  size_t bytes = 0;
  if constexpr (std::is_same_v<Args, ncclProfilerEventStateArgs_v1_t>) bytes = args ? args->proxyOp.transSize : 0;
  else bytes = args ? args->proxyStep.transSize : 0;
  return recordEventState(handle, state, bytes);
}

void writeTrace(const Context& c) {
  char id[32];
  snprintf(id, sizeof id, "%016" PRIx64, c.commId);
  const std::string path = traceDirectory() + "/braid-trace-" + (c.commName.empty() ? id : c.commName) + "-rank" +
                           std::to_string(c.rank) + ".json";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "braid example profiler: cannot write %s\n", path.c_str());
    return;
  }
  const double end = nowMicroseconds();
  std::fprintf(f, "{\"traceEvents\":[\n");
  std::fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":\"rank %d\"}}", c.rank,
               c.rank);
  std::map<int, std::string> lanes = c.laneNames;
  lanes.emplace(kApiLane, "api");
  lanes.emplace(kCallLane, "calls");
  for (const auto& [lane, name] : lanes)
    std::fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
                 c.rank, lane, name.c_str());
  for (const Event& e : c.events) {
    const bool open = e.stop < 0;
    std::fprintf(f,
                 ",\n{\"ph\":\"X\",\"cat\":\"%s\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,"
                 "\"args\":{\"type\":\"%s\",\"id\":%zu,\"parent\":%ld%s%s}}",
                 typeName(e.type), escaped(e.name.c_str()).c_str(), c.rank, e.lane, e.start,
                 (open ? end : e.stop) - e.start, typeName(e.type), e.id, e.parent, e.args.c_str(),
                 open ? ",\"unfinished\":true" : "");
  }
  std::fprintf(f,
               "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"communicator\":\"%s\",\"nranks\":%d,"
               "\"dropped\":%zu}}\n",
               escaped(c.commName.c_str()).c_str(), c.nranks, c.dropped);
  std::fclose(f);
}

ncclResult_t finalize(void* context) {
  auto* c = static_cast<Context*>(context);
  writeTrace(*c);
  delete c;
  return ncclSuccess;
}

// v1-v3 know nothing of the communicator at init.
template <int V>
ncclResult_t initOld(void** context, int* mask) {
  *context = newContext(V, mask, "", 0, 0, -1);
  return ncclSuccess;
}
template <int V>
ncclResult_t initV4(void** context, int* mask, const char* name, uint64_t id, int, int nranks, int rank,
                    ncclDebugLogger_t) {
  *context = newContext(V, mask, name, id, nranks, rank);
  return ncclSuccess;
}
template <int V>
ncclResult_t initNew(void** context, uint64_t id, int* mask, const char* name, int, int nranks, int rank,
                     ncclDebugLogger_t) {
  *context = newContext(V, mask, name, id, nranks, rank);
  return ncclSuccess;
}

}  // namespace

#ifndef BRAID_EXAMPLE_PROFILER_ABI
#define BRAID_EXAMPLE_PROFILER_ABI 0  // every version
#endif
#define BRAID_EXPORTS(version) (BRAID_EXAMPLE_PROFILER_ABI == 0 || BRAID_EXAMPLE_PROFILER_ABI == (version))
#define BRAID_TABLE(version)                                                                                           \
  extern "C" __attribute__((visibility("default"))) const ncclProfiler_v##version##_t ncclProfiler_v##version

#if BRAID_EXPORTS(1)
BRAID_TABLE(1) = {"braid-chrome-trace",
                  initOld<1>,
                  startEvent<1, ncclProfilerEventDescr_v1_t>,
                  stopEvent,
                  record<ncclProfilerEventStateArgs_v1_t>,
                  finalize};
#endif
#if BRAID_EXPORTS(2)
BRAID_TABLE(2) = {"braid-chrome-trace",
                  initOld<2>,
                  startEvent<2, ncclProfilerEventDescr_v2_t>,
                  stopEvent,
                  record<ncclProfilerEventStateArgs_v1_t>,
                  finalize};
#endif
#if BRAID_EXPORTS(3)
BRAID_TABLE(3) = {"braid-chrome-trace",
                  initOld<3>,
                  startEvent<3, ncclProfilerEventDescr_v3_t>,
                  stopEvent,
                  record<ncclProfilerEventStateArgs_v1_t>,
                  finalize};
#endif
#if BRAID_EXPORTS(4)
BRAID_TABLE(4) = {"braid-chrome-trace",
                  initV4<4>,
                  startEvent<4, ncclProfilerEventDescr_v4_t>,
                  stopEvent,
                  record<ncclProfilerEventStateArgs_v4_t>,
                  finalize};
#endif
#if BRAID_EXPORTS(5)
BRAID_TABLE(5) = {"braid-chrome-trace",
                  initNew<5>,
                  startEvent<5, ncclProfilerEventDescr_v5_t>,
                  stopEvent,
                  record<ncclProfilerEventStateArgs_v5_t>,
                  finalize};
#endif
#if BRAID_EXPORTS(6)
BRAID_TABLE(6) = {"braid-chrome-trace",
                  initNew<6>,
                  startEvent<6, ncclProfilerEventDescr_v6_t>,
                  stopEvent,
                  record<ncclProfilerEventStateArgs_v6_t>,
                  finalize};
#endif
