// The planner: per collective and size, the cheapest algorithm by the cost model among those the overrides
// allow (BRAID_ALGO), unless a tuning file names one or a tuner plugin (tuner_plugin.h) prefers one of those it
// can name; and the protocol: LL or CMA where the model has it, BRAID_PROTO allows it and it is cheaper than
// the best Simple plan. Decisions are cached per communicator.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "algorithms/planner/algorithm_filter.h"
#include "algorithms/planner/cost_model.h"
#include "algorithms/planner/protocol_filter.h"
#include "algorithms/planner/tuner_plugin.h"
#include "algorithms/planner/tuning_file.h"

namespace braid::planner {

enum class ChoiceSource { Model, TuningFile, Override, TunerPlugin };
const char* choiceSourceName(ChoiceSource source);

// NCCL's name of a collective (for tuner and profiler plugins); AlltoAllv has none.
std::optional<ncclFunc_t> ncclFuncOf(CollectiveKind kind);
// NCCL's number of an algorithm (NCCL_ALGO_*: Ring and Tree) and of a protocol (NCCL_PROTO_*: Simple and LL);
// none for Braid's others.
std::optional<int> ncclAlgorithmOf(Algorithm algorithm);
std::optional<int> ncclProtocolOf(Protocol protocol);

struct Choice {
  Algorithm algorithm;
  ChoiceSource source;
  double predictedUs;
  Protocol protocol = Protocol::Simple;
  bool foldedRails = false;  // CollectiveShape::foldedRails
};

class Planner {
 public:
  Planner();
  Planner(FabricModel model, AlgorithmFilter filter, std::vector<TuningRule> rules, ProtocolFilter protocols = {},
          std::shared_ptr<TunerSession> tuner = nullptr);

  // What to run. `fresh` tells whether this call decided (not cached).
  Choice choose(CollectiveKind kind, size_t bytes, bool* fresh = nullptr) const;
  // Every registered algorithm that fits the model and the overrides allow, and the LL and CMA exchanges where
  // they apply, cheapest first.
  std::vector<Prediction> candidates(CollectiveKind kind, size_t bytes) const;
  const FabricModel& model() const { return model_; }

 private:
  Choice decide(CollectiveKind kind, size_t bytes) const;
  // The tuner's pick among the cells of NCCL's cost table Braid can run; nothing when it changed no cell.
  std::optional<Choice> tunerChoice(CollectiveKind kind, size_t bytes) const;
  Choice lookUp(CollectiveKind kind, size_t bytes, uint64_t key, bool* fresh) const;  // the shared cache
  bool lowLatencyApplies(CollectiveKind kind, size_t bytes) const;
  bool crossMemoryApplies(CollectiveKind kind, size_t bytes) const;

  FabricModel model_;
  AlgorithmFilter filter_;
  ProtocolFilter protocols_;
  std::vector<TuningRule> rules_;
  std::shared_ptr<TunerSession> tuner_;
  uint64_t id_;  // unique per planner made in this process
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<uint64_t, Choice> cache_;
};

}  // namespace braid::planner
