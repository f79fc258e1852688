// A POSIX shared-memory segment mapped into this process: created (pages reserved up front) by one rank,
// opened by its peers, unlinked by name once everyone has it mapped. Shared by the FIFOs and the low-latency
// mailboxes of the shared-memory transport.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace braid {

class SharedSegment {
 public:
  // Throws ncclSystemError with the name and the likely cause (a too-small /dev/shm) on failure.
  static SharedSegment create(const std::string& name, size_t bytes);
  static SharedSegment open(const std::string& name);  // maps the whole segment, whatever its size
  // Maps the file at `path` whole, e.g. a peer's memfd as /proc/PID/fd/N.
  static SharedSegment openFile(const std::string& path);
  // An unnamed segment (memfd) that only processes given `fd` can map; the caller owns and closes `fd`.
  static SharedSegment createUnnamed(size_t bytes, int* fd);
  // Moves the private pages at [address, address + bytes) (page-aligned) into a new unnamed segment mapped at
  // the same address with the same contents; the caller owns and closes `fd`. What other threads write to the
  // pages while it copies is lost.
  static SharedSegment moveIntoUnnamed(char* address, size_t bytes, int* fd);
  static void unlink(const std::string& name);
  SharedSegment() = default;  // maps nothing
  SharedSegment(SharedSegment&& other) noexcept;
  SharedSegment& operator=(SharedSegment&& other) noexcept;
  ~SharedSegment();

  char* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  // Puts private pages with the same contents in place of this mapping (same addresses), and forgets it.
  void moveToPrivate();

 private:
  SharedSegment(char* data, size_t bytes) : data_(data), bytes_(bytes) {}
  char* data_ = nullptr;
  size_t bytes_ = 0;
};

// Throws ncclRemoteError ("shared-memory peer (<who> pid N) has exited") when `pid` is gone or a zombie.
void checkProcessAlive(int32_t pid, const char* who);

}  // namespace braid
