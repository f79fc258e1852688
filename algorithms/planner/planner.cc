#include "algorithms/planner/planner.h"

#include <algorithm>
#include <atomic>

namespace braid::planner {

const char* choiceSourceName(ChoiceSource source) {
  switch (source) {
    case ChoiceSource::Model: return "cost model";
    case ChoiceSource::TuningFile: return "tuning file";
    case ChoiceSource::Override: return "BRAID_ALGO/BRAID_PROTO";
    case ChoiceSource::TunerPlugin: return "tuner plugin";
  }
  return "?";
}

namespace {
std::atomic<uint64_t> plannersMade{0};
}  // namespace

Planner::Planner() : id_(++plannersMade) {}

Planner::Planner(FabricModel model, AlgorithmFilter filter, std::vector<TuningRule> rules, ProtocolFilter protocols,
                 std::shared_ptr<TunerSession> tuner)
    : model_(model),
      filter_(filter),
      protocols_(protocols),
      rules_(std::move(rules)),
      tuner_(std::move(tuner)),
      id_(++plannersMade) {}

std::vector<Prediction> Planner::candidates(CollectiveKind kind, size_t bytes) const {
  std::vector<Prediction> out;
  const bool lowLatency = lowLatencyApplies(kind, bytes), crossMemory = crossMemoryApplies(kind, bytes);
  if ((!lowLatency && !crossMemory) || protocols_.simple)  // BRAID_PROTO=LL: nothing but LL where it applies
    for (Algorithm a : modelledAlgorithms(kind, model_)) {
      if (!filter_.allows(kind, a)) continue;
      // An AlltoAllv's sizes differ per rank, so no size can pick its algorithm alike on all of them: it goes
      // direct unless BRAID_ALGO rules that out (alltoallv:hier).
      if (kind == CollectiveKind::AlltoAllv && a == Algorithm::Hierarchical && filter_.allows(kind, Algorithm::Direct))
        continue;
      out.push_back(predict(kind, a, bytes, model_));
    }
  if (lowLatency) out.push_back(predictLowLatency(kind, bytes, model_));
  if (crossMemory) out.push_back(predictCrossMemory(kind, bytes, model_));
  std::stable_sort(out.begin(), out.end(),
                   [](const Prediction& x, const Prediction& y) { return x.timeUs < y.timeUs; });
  return out;
}

Choice Planner::decide(CollectiveKind kind, size_t bytes) const {
  if (const TuningRule* rule = matchTuningRule(rules_, kind, model_.nranks, bytes)) {
    const bool lowLatency = rule->protocol == Protocol::LowLatency && lowLatencyApplies(kind, bytes);
    const bool crossMemory = rule->protocol == Protocol::CrossMemory && crossMemoryApplies(kind, bytes);
    // A rule written for another cluster may name what this communicator cannot run (the hierarchy on one host,
    // or on nodes of unequal size): then the model decides.
    const std::vector<Algorithm> runnable = modelledAlgorithms(kind, model_);
    const bool canRun = std::find(runnable.begin(), runnable.end(), rule->algorithm) != runnable.end();
    if ((lowLatency || crossMemory || canRun) && filter_.allows(kind, rule->algorithm)) {
      const Prediction p = lowLatency    ? predictLowLatency(kind, bytes, model_)
                           : crossMemory ? predictCrossMemory(kind, bytes, model_)
                                         : predict(kind, rule->algorithm, bytes, model_);
      return {rule->algorithm, ChoiceSource::TuningFile, p.timeUs, p.protocol, p.foldedRails};
    }
  }
  if (tuner_)
    if (const std::optional<Choice> tuned = tunerChoice(kind, bytes)) return *tuned;
  const std::vector<Prediction> ranked = candidates(kind, bytes);
  const bool overridden =
      filter_.restricts(kind) || !protocols_.lowLatency || !protocols_.simple || !protocols_.crossMemory;
  const ChoiceSource source = overridden ? ChoiceSource::Override : ChoiceSource::Model;
  if (ranked.empty()) return {Algorithm::Default, source, 0};  // the overrides exclude everything
  const Prediction& best = ranked.front();
  return {best.algorithm, source, best.timeUs, best.protocol, best.foldedRails};
}

std::optional<ncclFunc_t> ncclFuncOf(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::AllReduce: return ncclFuncAllReduce;
    case CollectiveKind::Broadcast: return ncclFuncBroadcast;
    case CollectiveKind::Reduce: return ncclFuncReduce;
    case CollectiveKind::AllGather: return ncclFuncAllGather;
    case CollectiveKind::ReduceScatter: return ncclFuncReduceScatter;
    case CollectiveKind::AlltoAll: return ncclFuncAlltoAll;
    case CollectiveKind::Gather: return ncclFuncGather;
    case CollectiveKind::Scatter: return ncclFuncScatter;
    default: return std::nullopt;
  }
}

std::optional<int> ncclAlgorithmOf(Algorithm algorithm) {
  if (algorithm == Algorithm::Ring) return NCCL_ALGO_RING;
  if (algorithm == Algorithm::Tree) return NCCL_ALGO_TREE;
  return std::nullopt;
}

std::optional<int> ncclProtocolOf(Protocol protocol) {
  if (protocol == Protocol::Simple) return NCCL_PROTO_SIMPLE;
  if (protocol == Protocol::LowLatency) return NCCL_PROTO_LL;
  return std::nullopt;
}

// Braid offers the cells of NCCL's table it runs: Ring and Tree with Simple, and its LL exchange (in the Ring
// row), each at the model's price. The tuner's cheapest offered cell wins, unless it changed nothing.
std::optional<Choice> Planner::tunerChoice(CollectiveKind kind, size_t bytes) const {
  const std::optional<ncclFunc_t> func = ncclFuncOf(kind);
  if (!func) return std::nullopt;
  CostTable table;
  for (auto& row : table)
    for (float& cell : row) cell = NCCL_ALGO_PROTO_IGNORE;
  Prediction offered[NCCL_NUM_ALGORITHMS][NCCL_NUM_PROTOCOLS] = {};
  const std::vector<Algorithm> runnable = modelledAlgorithms(kind, model_);
  auto offer = [&](int algo, int proto, const Prediction& p) {
    table[algo][proto] = static_cast<float>(p.timeUs);
    offered[algo][proto] = p;
  };
  for (Algorithm algorithm : {Algorithm::Ring, Algorithm::Tree})
    if (protocols_.simple && filter_.allows(kind, algorithm) &&
        std::find(runnable.begin(), runnable.end(), algorithm) != runnable.end())
      offer(*ncclAlgorithmOf(algorithm), NCCL_PROTO_SIMPLE, predict(kind, algorithm, bytes, model_));
  if (lowLatencyApplies(kind, bytes)) offer(NCCL_ALGO_RING, NCCL_PROTO_LL, predictLowLatency(kind, bytes, model_));
  CostTable asOffered;
  std::copy(&table[0][0], &table[0][0] + NCCL_NUM_ALGORITHMS * NCCL_NUM_PROTOCOLS, &asOffered[0][0]);
  tuner_->consult(*func, bytes, table);
  if (std::equal(&table[0][0], &table[0][0] + NCCL_NUM_ALGORITHMS * NCCL_NUM_PROTOCOLS, &asOffered[0][0]))
    return std::nullopt;
  const Prediction* best = nullptr;
  float bestCost = 0;
  for (int a = 0; a < NCCL_NUM_ALGORITHMS; ++a)
    for (int p = 0; p < NCCL_NUM_PROTOCOLS; ++p)
      if (asOffered[a][p] != NCCL_ALGO_PROTO_IGNORE && table[a][p] >= 0 && (!best || table[a][p] < bestCost))
        best = &offered[a][p], bestCost = table[a][p];
  if (!best) return std::nullopt;  // it ignored all Braid offers: the model decides
  return Choice{best->algorithm, ChoiceSource::TunerPlugin, best->timeUs, best->protocol, best->foldedRails};
}

// LL is a one-shot exchange, so an algorithm override keeps it only where it allows mesh.
bool Planner::lowLatencyApplies(CollectiveKind kind, size_t bytes) const {
  return protocols_.lowLatency && model_.lowLatencyBytes > 0 && hasLowLatency(kind) &&
         lowLatencyContribution(kind, bytes, model_.nranks) <= model_.lowLatencyBytes &&
         (!filter_.restricts(kind) || filter_.allows(kind, Algorithm::Mesh));
}

// The same for CMA, on communicators whose ranks may attach to each other (every size but empty calls).
bool Planner::crossMemoryApplies(CollectiveKind kind, size_t bytes) const {
  return protocols_.crossMemory && model_.crossMemory.bandwidthGBps > 0 && hasCrossMemory(kind) && bytes > 0 &&
         (!filter_.restricts(kind) || filter_.allows(kind, Algorithm::Mesh));
}

namespace {

struct LastAnswer {
  uint64_t planner = 0, key = 0;
  Choice choice{};  // initialized in full, so the thread-local needs no first-use guard
};

// One __tls_get_addr call per lookup: the compiler would repeat it for every use of a thread-local.
__attribute__((noinline)) LastAnswer& lastAnswer() {
  thread_local LastAnswer last;
  return last;
}

}  // namespace

Choice Planner::choose(CollectiveKind kind, size_t bytes, bool* fresh) const {
  const uint64_t key = (static_cast<uint64_t>(kind) << 56) ^ bytes;
  // Programs repeat one call over and over: this thread's last answer needs no lock. Planners are told apart
  // by a number never reused, since a new one may live at a freed one's address.
  LastAnswer& last = lastAnswer();
  if (last.planner == id_ && last.key == key) {
    if (fresh) *fresh = false;
    return last.choice;
  }
  last = {id_, key, lookUp(kind, bytes, key, fresh)};
  return last.choice;
}

Choice Planner::lookUp(CollectiveKind kind, size_t bytes, uint64_t key, bool* fresh) const {
  std::lock_guard<std::mutex> lock(cacheMutex_);
  auto it = cache_.find(key);
  if (fresh) *fresh = it == cache_.end();
  if (it != cache_.end()) return it->second;
  if (cache_.size() > 4096) cache_.clear();  // many distinct sizes: start over rather than grow
  return cache_[key] = decide(kind, bytes);
}

}  // namespace braid::planner
