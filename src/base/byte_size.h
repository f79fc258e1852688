// Sizes as people write them on command lines: 8, 64K, 1M, 1G (powers of 1024; also 64 KiB), and back.
#pragma once

#include <cstddef>
#include <string>

namespace braid {

size_t parseByteSize(const std::string& text);  // throws std::invalid_argument naming the text
std::string formatByteSize(size_t bytes);       // "8 B", "64 KiB", "1 GiB" (whole units only, else bytes)

}  // namespace braid
