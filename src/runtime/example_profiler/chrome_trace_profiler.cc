// An example profiler plugin: every communicator's events become one Chrome-trace JSON file per rank, which
// chrome://tracing and https://ui.perfetto.dev open (docs/observability.md). It exports ncclProfiler_v1 to _v6
// (built with BRAID_EXAMPLE_PROFILER_ABI=N: version N alone, for the tests).
//
// Settings (read by the plugin itself, from the environment):
//   BRAID_PROFILER_TRACE_DIR  where the files go (default: the working directory), named
//                             braid-trace-[<communicator name>-]<id>-rank<R>.json (the id tells apart
//                             communicators of one name, e.g. a split's)
//   BRAID_PROFILER_EVENTS     the activation mask (a number, e.g. 0x1f; default: every event type the version
//                             knows that Braid emits)
//   BRAID_PROFILER_MAX_EVENTS events kept per communicator (default 1000000); later ones are counted, not kept
//
// The trace: one process per rank; lane "api" holds the API events (v5 and later), lane "calls" the groups,
// collectives and point-to-point calls, and one lane per channel, peer and direction the traffic (ProxyOp)
// with its steps (ProxyStep) nested inside; a step's state changes are its arguments.
#include <inttypes.h>
#include <time.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>

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

// An event as the descriptor gave it; everything is formatted when the file is written, so that an event costs
// the plugin a lock, a clock read and a copy. The descriptor's strings are NCCL's (and Braid's) constants.
struct Event {
  Context* context;
  size_t id;    // its place in its context's list
  long parent;  // the parent's id; -1: none (or another communicator's)
  uint64_t type;
  int lane;
  double start, stop = -1;
  const char *func = nullptr, *datatype = nullptr, *algo = nullptr, *proto = nullptr;  // v2 and later
  int funcNumber = -1, datatypeNumber = -1, algoNumber = -1, protoNumber = -1;         // v1
  uint32_t op = 0;
  uint64_t seq = 0;
  size_t count = 0;
  int root = 0, channels = 0, peer = -1, channel = 0, steps = 0, chunkSize = 0, step = 0;
  bool isSend = false, hasCall = false;
  struct State {
    ncclProfilerEventState_t state;
    double at;  // microseconds after the start
  };
  State states[6];
  int nStates = 0;
  size_t bytes = 0;
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

// Version N's descriptor into `e`.
template <int V, class Descr>
void read(const Descr& d, Context& c, Event& e) {
  e.lane = kCallLane;
  if (d.type == ncclProfileColl) {
    const auto& coll = d.coll;
    if constexpr (V <= 3)
      if (c.commName.empty() && coll.name) c.commName = coll.name, c.commId = coll.commHash;
    if constexpr (V == 1) {
      e.funcNumber = coll.func, e.datatypeNumber = coll.datatype, e.algoNumber = coll.algo, e.protoNumber = coll.proto;
      e.op = coll.op;
    } else {
      e.func = coll.func, e.datatype = coll.datatype, e.algo = coll.algo, e.proto = coll.proto;
    }
    if constexpr (V <= 3) e.channels = coll.nMaxChannels;
    else e.channels = coll.nChannels;
    e.seq = coll.seqNumber, e.count = coll.count, e.root = coll.root, e.hasCall = true;
  } else if (d.type == ncclProfileP2p) {
    const auto& p2p = d.p2p;
    if constexpr (V <= 3)
      if (c.commName.empty() && p2p.name) c.commName = p2p.name, c.commId = p2p.commHash;
    if constexpr (V == 1) e.func = p2p.func == ncclFuncSend ? "Send" : "Recv";
    else e.func = p2p.func;
    e.peer = p2p.peer, e.count = p2p.count, e.hasCall = true;
  } else if (d.type == ncclProfileProxyOp) {
    const auto& op = d.proxyOp;
    e.lane = trafficLane(op.channelId, op.peer, op.isSend);
    e.peer = op.peer, e.channel = op.channelId, e.steps = op.nSteps, e.chunkSize = op.chunkSize;
    e.isSend = op.isSend;
  } else if (d.type == ncclProfileProxyStep) {
    auto* parent = static_cast<const Event*>(d.parentObj);
    e.lane = parent ? parent->lane : kCallLane;
    e.step = d.proxyStep.step;
  } else if constexpr (V >= 5) {
    e.lane = kApiLane;
    if (d.type == ncclProfileCollApi)
      e.func = d.collApi.func, e.count = d.collApi.count, e.datatype = d.collApi.datatype;
    else if (d.type == ncclProfileP2pApi)
      e.func = d.p2pApi.func, e.count = d.p2pApi.count, e.datatype = d.p2pApi.datatype;
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
  Event& e = c.events.emplace_back();
  e.context = &c, e.id = c.events.size() - 1, e.parent = parentId, e.type = d->type;
  e.start = nowMicroseconds();
  read<V>(*d, c, e);
  *handle = &e;
  return ncclSuccess;
}

ncclResult_t stopEvent(void* handle) {
  auto* e = static_cast<Event*>(handle);
  std::lock_guard<std::mutex> lock(e->context->mutex);
  e->stop = nowMicroseconds();
  return ncclSuccess;
}

// A state change: its time from the event's start, and the bytes it reports.
ncclResult_t recordEventState(void* handle, ncclProfilerEventState_t state, size_t bytes) {
  auto* e = static_cast<Event*>(handle);
  std::lock_guard<std::mutex> lock(e->context->mutex);
  if (e->nStates < static_cast<int>(std::size(e->states)))
    e->states[e->nStates++] = {state, nowMicroseconds() - e->start};
  if (bytes) e->bytes = bytes;
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

std::string quoted(const char* text) { return "\"" + escaped(text) + "\""; }

// The name the trace shows for an event.
std::string nameOf(const Event& e) {
  switch (e.type) {
    case ncclProfileColl: return e.func ? e.func : "Coll " + std::to_string(e.funcNumber);
    case ncclProfileP2p: return e.func ? e.func : "P2p";
    case ncclProfileProxyOp: return e.isSend ? "send" : "recv";
    case ncclProfileProxyStep: return "step " + std::to_string(e.step);
    case ncclProfileCollApi:
    case ncclProfileP2pApi: return std::string(e.func ? e.func : "?") + " call";
    default: return typeName(e.type);
  }
}

// Its arguments besides type, id and parent: JSON members, each after a comma.
std::string argsOf(const Event& e) {
  std::string args;
  auto add = [&](const char* key, const std::string& value) { args += ",\"" + std::string(key) + "\":" + value; };
  if (e.type == ncclProfileColl) {
    if (e.func) {
      add("func", quoted(e.func)), add("datatype", quoted(e.datatype));
      add("algo", quoted(e.algo)), add("proto", quoted(e.proto));
    } else {
      add("func", std::to_string(e.funcNumber)), add("datatype", std::to_string(e.datatypeNumber));
      add("algo", std::to_string(e.algoNumber)), add("proto", std::to_string(e.protoNumber));
      add("op", std::to_string(e.op));
    }
    add("seq", std::to_string(e.seq)), add("count", std::to_string(e.count));
    add("root", std::to_string(e.root)), add("channels", std::to_string(e.channels));
  } else if (e.type == ncclProfileP2p) {
    add("peer", std::to_string(e.peer)), add("count", std::to_string(e.count));
  } else if (e.type == ncclProfileProxyOp) {
    add("peer", std::to_string(e.peer)), add("channel", std::to_string(e.channel));
    add("steps", std::to_string(e.steps)), add("chunkSize", std::to_string(e.chunkSize));
  } else if (e.type == ncclProfileCollApi || e.type == ncclProfileP2pApi) {
    add("count", std::to_string(e.count)), add("datatype", quoted(e.datatype));
  }
  char at[32];
  for (int i = 0; i < e.nStates; ++i) {
    snprintf(at, sizeof at, "%.3f", e.states[i].at);
    add((std::string(stateName(e.states[i].state)) + "_us").c_str(), at);
  }
  if (e.bytes) add("bytes", std::to_string(e.bytes));
  return args;
}

void writeTrace(const Context& c) {
  char id[32];
  snprintf(id, sizeof id, "%016" PRIx64, c.commId);
  std::string name;  // the communicator's name as a file name's part
  for (char ch : c.commName) name += std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' ? ch : '_';
  const std::string path = traceDirectory() + "/braid-trace-" + (name.empty() ? "" : name + "-") + id + "-rank" +
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
  std::map<int, std::string> lanes = {{kApiLane, "api"}, {kCallLane, "calls"}};
  for (const Event& e : c.events)
    if (e.type == ncclProfileProxyOp)
      lanes.emplace(e.lane, "ch" + std::to_string(e.channel) + (e.isSend ? " send to rank " : " recv from rank ") +
                                std::to_string(e.peer));
  for (const auto& [lane, name] : lanes)
    std::fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
                 c.rank, lane, name.c_str());
  for (const Event& e : c.events) {
    const bool open = e.stop < 0;
    std::fprintf(f,
                 ",\n{\"ph\":\"X\",\"cat\":\"%s\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,"
                 "\"args\":{\"type\":\"%s\",\"id\":%zu,\"parent\":%ld%s%s}}",
                 typeName(e.type), escaped(nameOf(e).c_str()).c_str(), c.rank, e.lane, e.start,
                 (open ? end : e.stop) - e.start, typeName(e.type), e.id, e.parent, argsOf(e).c_str(),
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
