// Configuration files (BRAID_TUNE_FILE, BRAID_TOPO_FILE, BRAID_CONF_FILE, vendor matrices) are read whole, up to
// a bound: /dev/zero or a runaway file given by mistake must fail naming the file, never fill the memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace braid {

constexpr size_t kConfigFileLimit = size_t{16} << 20;  // 16 MiB; documented in docs/troubleshooting.md

// Reads the file at `path` into *text. Returns "" on success, or why not ("cannot open: No such file or
// directory", "is a directory", "is larger than 16 MiB ..."); errnoOf tells the caller errno's value then.
std::string readBoundedFile(const std::string& path, std::string* text, size_t limit = kConfigFileLimit,
                            int* errnoOf = nullptr);
// The same verdict without keeping the text (parameter checks, which run at every init): a regular file is
// judged by its size, without reading it; devices and pipes are read up to the limit.
std::string checkBoundedFile(const std::string& path, size_t limit = kConfigFileLimit);

}  // namespace braid
