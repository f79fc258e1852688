#include "algorithms/planner/protocol_filter.h"

#include <stdexcept>

#include "base/text.h"

namespace braid::planner {

ProtocolFilter ProtocolFilter::parse(const std::string& spec) {
  std::string names = trim(spec);
  const bool exclude = !names.empty() && names[0] == '^';
  if (exclude) names = names.substr(1);
  bool ll = false, simple = false, cma = false;
  for (const std::string& name : split(names, ',')) {
    const std::string l = lowercase(name);
    if (l == "ll") ll = true;
    else if (l == "simple") simple = true;
    else if (l == "cma") cma = true;
    else if (!l.empty() && l != "ll128")
      throw std::invalid_argument("unknown protocol \"" + name + "\" (LL, LL128, Simple, CMA)");
  }
  return exclude ? ProtocolFilter{!ll, !simple, !cma} : ProtocolFilter{ll, simple, cma};
}

}  // namespace braid::planner
