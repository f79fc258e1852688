#include "base/byte_size.h"

#include <stdexcept>

namespace braid {

size_t parseByteSize(const std::string& text) {
  size_t pos = 0;
  double value;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    throw std::invalid_argument("bad size '" + text + "'");
  }
  std::string unit = text.substr(pos);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);  // "256 KiB", as formatByteSize writes it
  double scale = 1;
  if (unit == "K" || unit == "k" || unit == "KiB") scale = 1024.0;
  else if (unit == "M" || unit == "m" || unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "g" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (!unit.empty() && unit != "B") throw std::invalid_argument("bad size '" + text + "'");
  if (value < 0) throw std::invalid_argument("negative size '" + text + "'");
  if (value * scale >= 1e19) throw std::invalid_argument("size '" + text + "' is too large");
  return static_cast<size_t>(value * scale);
}

std::string formatByteSize(size_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (unit < 4 && bytes >= 1024 && bytes % 1024 == 0) bytes /= 1024, ++unit;
  return std::to_string(bytes) + " " + units[unit];
}

}  // namespace braid
