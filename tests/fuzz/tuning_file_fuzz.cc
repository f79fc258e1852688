// libFuzzer target: any bytes given as a tuning file (BRAID_TUNE_FILE) or as a BRAID_ALGO value are read or
// rejected with std::invalid_argument; never a crash, hang or out-of-bounds access. Rules that load are used
// to plan, as the library would.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "algorithms/planner/planner.h"

using namespace braid;
using namespace braid::planner;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  AlgorithmFilter filter;
  try {
    filter = AlgorithmFilter::parse(text);
  } catch (const std::invalid_argument&) {
  }
  std::vector<TuningRule> rules;
  try {
    std::istringstream in(text);
    rules = parseTuningRules(in, "fuzz.tune");
  } catch (const std::invalid_argument&) {
  }
  FabricModel model;
  model.nranks = 8;
  model.ranksPerNode = 4;
  Planner planner(model, filter, rules);
  for (size_t bytes : {size_t(0), size_t(8), size_t(1) << 20, size_t(-1)})
    for (int k = 0; k <= static_cast<int>(CollectiveKind::Scatter); ++k)
      (void)planner.choose(static_cast<CollectiveKind>(k), bytes);
  return 0;
}
