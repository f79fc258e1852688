#include "cli/plan_plot.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "base/byte_size.h"

namespace braid::cli {
namespace {

std::string tickLabel(double value) {  // three digits: 352, 0.047
  std::ostringstream out;
  out << std::setprecision(3) << value;
  return out.str();
}

}  // namespace

std::string plotBusBandwidth(const std::string& title, const std::vector<size_t>& sizes,
                             const std::vector<PlotSeries>& series, const std::string& yLabel) {
  const double width = 760, height = 440, left = 70, right = 150, top = 40, bottom = 60;
  const double plotW = width - left - right, plotH = height - top - bottom;
  double maxBw = 0;
  for (const PlotSeries& s : series)
    for (double v : s.busbw) maxBw = std::max(maxBw, v);
  maxBw = maxBw > 0 ? maxBw * 1.1 : 1;
  const double x0 = std::log2(std::max<size_t>(1, sizes.front())), x1 = std::log2(std::max<size_t>(2, sizes.back()));
  auto x = [&](size_t s) {
    return left + (x1 > x0 ? (std::log2(std::max<size_t>(1, s)) - x0) / (x1 - x0) : 0) * plotW;
  };
  auto y = [&](double v) { return top + plotH - v / maxBw * plotH; };
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                 "#9467bd", "#8c564b", "#e377c2", "#17becf"};

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << left << "\" y=\"22\" font-size=\"14\">" << title << "</text>\n";
  for (int tick = 0; tick <= 5; ++tick) {  // bandwidth grid
    const double v = maxBw * tick / 5;
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plotW << "\" y1=\"" << y(v) << "\" y2=\"" << y(v)
        << "\" stroke=\"#ddd\"/><text x=\"" << left - 8 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">"
        << tickLabel(v) << "</text>\n";
  }
  const size_t labelEvery = std::max<size_t>(1, sizes.size() / 8);
  for (size_t i = 0; i < sizes.size(); i += labelEvery)
    svg << "<text x=\"" << x(sizes[i]) << "\" y=\"" << top + plotH + 18 << "\" text-anchor=\"middle\">"
        << formatByteSize(sizes[i]) << "</text>\n";
  svg << "<text x=\"" << left + plotW / 2 << "\" y=\"" << height - 15
      << "\" text-anchor=\"middle\">message size</text>\n"
      << "<text transform=\"translate(18," << top + plotH / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << yLabel
      << "</text>\n";
  for (size_t k = 0; k < series.size(); ++k) {
    const char* color = colors[k % 8];
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < sizes.size(); ++i) svg << x(sizes[i]) << "," << y(series[k].busbw[i]) << " ";
    svg << "\"/>\n<text x=\"" << left + plotW + 12 << "\" y=\"" << top + 16 + 18 * k << "\" fill=\"" << color << "\">"
        << series[k].name << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace braid::cli
