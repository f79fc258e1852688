// Profiler plugins (include/braid/profiler_plugin.h, ncclProfiler_v1 to v6): loaded once per process as NCCL finds
// them (BRAID_PROFILER_PLUGIN / NCCL_PROFILER_PLUGIN, else libnccl-profiler.so), with a session per communicator
// that the launches tell of their events (group.cc: the API events; launch_profile.h: groups, calls and steps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/plugin_library.h"
#include "braid/profiler_plugin.h"

namespace braid {

// One event as Braid describes it, whatever the plugin's version; each version's adapter takes what it knows.
struct ProfilerEvent {
  uint64_t type = 0;            // one ncclProfile* bit
  void* parent = nullptr;       // the parent event's handle (v5: a call's API event)
  void* parentGroup = nullptr;  // a collective's or point-to-point call's group event (v1-v4: its parent)
  // Calls (and their API events):
  int func = 0;               // ncclFunc_t
  const char* funcName = "";  // NCCL's spelling: "AllReduce", "Send", ...
  ncclDataType_t datatype = ncclInt8;
  size_t count = 0;
  int root = 0;
  int peer = 0;
  const void* sendBuff = nullptr;
  void* recvBuff = nullptr;
  uint32_t op = 0;  // ncclRedOp_t
  uint64_t seqNumber = 0;
  size_t trafficBytes = 0;  // the call's bytes (count x type size)
  int nChannels = 1;
  int algo = NCCL_ALGO_UNDEF;  // NCCL's number where Braid's algorithm is one of NCCL's
  const char* algoName = "";   // NCCL's name where it is ("Ring", "Tree"), else Braid's ("rd", "mesh", ...)
  int proto = NCCL_PROTO_UNDEF;
  const char* protoName = "";  // "Simple", "LL", or Braid's "CMA"
  void* stream = nullptr;
  int groupDepth = 0;
  // Traffic and steps:
  int channel = 0;
  bool isSend = false;
  int nSteps = 0;
  size_t chunkSize = 0;
  int step = 0;
};

class ProfilerSession {
 public:
  virtual ~ProfilerSession() = default;  // the plugin's finalize
  // Whether events of `type` go to the plugin: it activated them or events below them (a step needs its
  // traffic, its call and its group), as NCCL decides.
  bool wants(uint64_t type) const { return (emitted_ & type) != 0; }
  bool emitsAny() const { return emitted_ != 0; }  // a plugin may activate nothing
  // The event's handle; null when the plugin made none (its children then have no parent).
  virtual void* start(const ProfilerEvent& event) = 0;
  virtual void stop(void* handle) = 0;
  // A state change; `transSize`: the bytes a step has moved.
  virtual void record(void* handle, ncclProfilerEventState_t state, size_t transSize) = 0;

 protected:
  uint64_t emitted_ = 0;
};

struct ProfilerFacts {
  uint64_t commId;  // random per communicator, the same on its ranks
  std::string commName;
  int nNodes, nranks, rank;
};
// A session for a communicator; null when no profiler plugin is loaded or its init failed (a warning says so).
std::unique_ptr<ProfilerSession> openProfilerSession(const ProfilerFacts& facts);

// What loading found, for the log at init.
PluginReport profilerReport();

}  // namespace braid
