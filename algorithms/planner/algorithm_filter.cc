#include "algorithms/planner/algorithm_filter.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "algorithms/registry.h"
#include "base/text.h"

namespace braid::planner {
namespace {

uint32_t bit(Algorithm a) { return 1u << static_cast<int>(a); }

// "ring,tree" or "^ring": the algorithms allowed.
uint32_t parseList(const std::string& list) {
  std::string names = trim(list);
  const bool exclude = !names.empty() && names[0] == '^';
  if (exclude) names = names.substr(1);
  uint32_t chosen = 0;
  for (const std::string& name : split(names, ',')) {
    if (name.empty()) continue;
    static const char* kNcclOnly[] = {"collnet", "collnetdirect", "collnetchain", "nvls", "nvlstree", "pat"};
    if (std::find(std::begin(kNcclOnly), std::end(kNcclOnly), lowercase(name)) != std::end(kNcclOnly)) continue;
    Algorithm a;
    if (!parseAlgorithm(name, &a)) throw std::invalid_argument("unknown algorithm \"" + name + "\"");
    chosen |= bit(a);
  }
  return exclude ? ~chosen : chosen;
}

}  // namespace

const char* collectiveKeyword(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::AllReduce: return "allreduce";
    case CollectiveKind::Broadcast: return "broadcast";
    case CollectiveKind::Reduce: return "reduce";
    case CollectiveKind::AllGather: return "allgather";
    case CollectiveKind::ReduceScatter: return "reducescatter";
    case CollectiveKind::AlltoAll: return "alltoall";
    case CollectiveKind::AlltoAllv: return "alltoallv";
    case CollectiveKind::Gather: return "gather";
    case CollectiveKind::Scatter: return "scatter";
  }
  return "?";
}

bool parseCollectiveKind(const std::string& name, CollectiveKind* kind) {
  const std::string l = lowercase(name);
  for (int k = 0; k <= static_cast<int>(CollectiveKind::Scatter); ++k)
    if (l == collectiveKeyword(static_cast<CollectiveKind>(k))) return *kind = static_cast<CollectiveKind>(k), true;
  return false;
}

AlgorithmFilter::AlgorithmFilter() { allowed_.fill(~0u); }

AlgorithmFilter AlgorithmFilter::parse(const std::string& spec) {
  AlgorithmFilter filter;
  for (const std::string& part : split(spec, ';')) {
    if (part.empty()) continue;
    const size_t colon = part.find(':');
    if (colon == std::string::npos) {
      filter.allowed_.fill(parseList(part));
      continue;
    }
    CollectiveKind kind;
    const std::string name = trim(part.substr(0, colon));
    if (!parseCollectiveKind(name, &kind)) throw std::invalid_argument("unknown collective \"" + name + "\"");
    const uint32_t allowed = parseList(part.substr(colon + 1));
    filter.allowed_[static_cast<int>(kind)] = allowed;
    if (kind == CollectiveKind::AlltoAll) filter.allowed_[static_cast<int>(CollectiveKind::AlltoAllv)] = allowed;
  }
  return filter;
}

bool AlgorithmFilter::allows(CollectiveKind kind, Algorithm a) const {
  return (allowed_[static_cast<int>(kind)] & bit(a)) != 0;
}

bool AlgorithmFilter::restricts(CollectiveKind kind) const { return allowed_[static_cast<int>(kind)] != ~0u; }

}  // namespace braid::planner
