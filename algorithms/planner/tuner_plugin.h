// Tuner plugins (include/braid/tuner_plugin.h, ncclTuner_v2 to v6): loaded once per process as NCCL finds them
// (BRAID_TUNER_PLUGIN / NCCL_TUNER_PLUGIN, else libnccl-tuner.so), with a session per communicator that the
// planner consults for every collective and size it decides.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/plugin_library.h"
#include "braid/tuner_plugin.h"

namespace braid::planner {

// NCCL's cost table: microseconds per algorithm and protocol, NCCL_ALGO_PROTO_IGNORE where not offered.
using CostTable = float[NCCL_NUM_ALGORITHMS][NCCL_NUM_PROTOCOLS];

class TunerSession {
 public:
  virtual ~TunerSession() = default;
  virtual const char* name() const = 0;
  virtual int version() const = 0;
  // Lets the tuner edit `table` for collective `func` of `bytes` (NCCL's size). A v2 tuner names a cell
  // instead, which becomes the cheapest. Throws ncclInternalError naming the plugin when it fails.
  virtual void consult(ncclFunc_t func, size_t bytes, CostTable& table) = 0;
};

// A session for a communicator (its random id, ranks and hosts); null when no tuner plugin is loaded. Throws
// when the plugin fails to open one.
std::shared_ptr<TunerSession> openTunerSession(uint64_t communicatorId, size_t nranks, size_t nodes);

// What loading found, for the log at init.
PluginReport tunerReport();

}  // namespace braid::planner
