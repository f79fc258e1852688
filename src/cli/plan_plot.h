// The SVG of `braid plan --plot`: predicted bus bandwidth against message size, one line per algorithm.
#pragma once

#include <string>
#include <vector>

namespace braid::cli {

struct PlotSeries {
  std::string name;
  std::vector<double> busbw;  // GB/s, one per size
};

std::string plotBusBandwidth(const std::string& title, const std::vector<size_t>& sizes,
                             const std::vector<PlotSeries>& series);

}  // namespace braid::cli
