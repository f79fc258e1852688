// Small text helpers shared by the parsers of names (algorithms, networks, link kinds).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace braid {

inline std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace braid
