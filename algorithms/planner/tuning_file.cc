#include "algorithms/planner/tuning_file.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "algorithms/planner/algorithm_filter.h"
#include "algorithms/registry.h"
#include "base/bounded_file.h"
#include "base/text.h"

namespace braid::planner {
namespace {

constexpr size_t kOpen = static_cast<size_t>(-1);

// A non-negative decimal that fits, or `*` (returns `star`).
bool parseCount(const std::string& text, size_t star, size_t* value) {
  if (text == "*") return *value = star, true;
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *value = std::strtoull(text.c_str(), nullptr, 10);
  return true;
}

}  // namespace

std::vector<TuningRule> parseTuningRules(std::istream& in, const std::string& name) {
  std::vector<TuningRule> rules;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto fail = [&](const std::string& what) {
      throw std::invalid_argument(name + ":" + std::to_string(number) + ": " + what);
    };
    if (line.size() > 4096) fail("line too long");
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string word; fields >> word;) f.push_back(word);
    if (f.empty()) continue;
    if (f.size() != 5 && f.size() != 6)
      fail("expected 5 or 6 fields (collective ranks min_bytes max_bytes algorithm [protocol]), found " +
           std::to_string(f.size()));
    TuningRule rule;
    if (!parseCollectiveKind(f[0], &rule.kind)) fail("unknown collective \"" + f[0] + "\"");
    size_t ranks;
    if (!parseCount(f[1], 0, &ranks) || ranks > 1u << 30) fail("bad rank count \"" + f[1] + "\"");
    rule.nranks = static_cast<int>(ranks);
    if (!parseCount(f[2], 0, &rule.minBytes)) fail("bad min_bytes \"" + f[2] + "\"");
    if (!parseCount(f[3], kOpen, &rule.maxBytes)) fail("bad max_bytes \"" + f[3] + "\"");
    if (rule.maxBytes < rule.minBytes) fail("max_bytes is below min_bytes");
    if (!parseAlgorithm(f[4], &rule.algorithm) || rule.algorithm == Algorithm::Default)
      fail("unknown algorithm \"" + f[4] + "\"");
    if (f.size() == 6) {
      const std::string protocol = lowercase(f[5]);
      if (protocol == "ll") rule.protocol = Protocol::LowLatency;
      else if (protocol == "cma") rule.protocol = Protocol::CrossMemory;
      else if (protocol != "simple") fail("unknown protocol \"" + f[5] + "\" (LL, CMA or Simple)");
      if (rule.protocol == Protocol::LowLatency && (rule.algorithm != Algorithm::Mesh || !hasLowLatency(rule.kind)))
        fail(
            "LL is a one-shot exchange: it goes with mesh, for allreduce, broadcast, reduce, allgather and "
            "reducescatter");
      if (rule.protocol == Protocol::CrossMemory && (rule.algorithm != Algorithm::Mesh || !hasCrossMemory(rule.kind)))
        fail(
            "CMA is a one-shot exchange: it goes with mesh, for allreduce, broadcast, reduce, allgather, "
            "reducescatter and alltoall");
    }
    if (!hasAlgorithm(rule.kind, rule.algorithm) && rule.protocol == Protocol::Simple)
      fail(std::string(collectiveKeyword(rule.kind)) + " has no " + algorithmName(rule.algorithm) + " algorithm");
    rules.push_back(rule);
  }
  return rules;
}

std::vector<TuningRule> loadTuningFile(const std::string& path) {
  std::string text;
  const std::string why = readBoundedFile(path, &text);
  if (!why.empty()) throw std::invalid_argument(path + ": " + why);
  std::istringstream in(text);
  return parseTuningRules(in, path);
}

void writeTuningRules(std::ostream& out, const std::vector<TuningRule>& rules, const std::string& comment) {
  out << "# braid tuning file (BRAID_TUNE_FILE): " << comment << "\n"
      << "# collective  ranks  min_bytes  max_bytes  algorithm  [protocol]\n";
  for (const TuningRule& r : rules) {
    out << collectiveKeyword(r.kind) << " " << (r.nranks ? std::to_string(r.nranks) : "*") << " " << r.minBytes << " "
        << (r.maxBytes == kOpen ? "*" : std::to_string(r.maxBytes)) << " " << algorithmName(r.algorithm)
        << (r.protocol == Protocol::Simple ? "" : std::string(" ") + protocolName(r.protocol)) << "\n";
  }
}

const TuningRule* matchTuningRule(const std::vector<TuningRule>& rules, CollectiveKind kind, int nranks, size_t bytes) {
  for (const TuningRule& r : rules)
    if (r.kind == kind && (r.nranks == 0 || r.nranks == nranks) && bytes >= r.minBytes && bytes <= r.maxBytes)
      return &r;
  return nullptr;
}

}  // namespace braid::planner
