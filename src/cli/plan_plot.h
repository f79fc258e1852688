// The SVG of `braid plan --plot` and `braid doctor --plot`: bus bandwidth against message size, one line per
// series (an algorithm's prediction, or measured against predicted).
#pragma once

#include <string>
#include <vector>

namespace braid::cli {

struct PlotSeries {
  std::string name;
  std::vector<double> busbw;  // GB/s, one per size
};

std::string plotBusBandwidth(const std::string& title, const std::vector<size_t>& sizes,
                             const std::vector<PlotSeries>& series,
                             const std::string& yLabel = "predicted busbw (GB/s)");

}  // namespace braid::cli
