#include "transports/shm/shared_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "base/error.h"
#include "base/process_identity.h"

namespace braid {
namespace {

// Maps `fd` shared and closes it, unless `keepFd` (the owner of an unnamed segment keeps it for its peers to
// open) and the mapping worked.
char* mapShared(int fd, size_t bytes, const std::string& name, bool keepFd = false) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (!keepFd || p == MAP_FAILED) ::close(fd);
  if (p == MAP_FAILED) failErrno("mmap " + name);
  return static_cast<char*>(p);
}

// Maps `fd` whole (and closes it).
char* mapWhole(int fd, const std::string& name, size_t* bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    fail(ncclSystemError, "shared-memory segment " + name + " is empty");
  }
  *bytes = static_cast<size_t>(st.st_size);
  return mapShared(fd, *bytes, name);
}

// Memory this machine can still give, and what it should keep for everyone else, from /proc/meminfo.
struct MemoryRoom {
  uint64_t available = UINT64_MAX;  // MemAvailable + SwapFree (shared memory may be swapped), or the cgroup's room
  uint64_t keep = 0;                // a sixteenth of MemTotal (or of the cgroup's room)
};

uint64_t numberIn(const std::string& path) {
  std::ifstream in(path);
  uint64_t value = UINT64_MAX;  // also for "max" (no limit) and a missing file
  in >> value;
  return in ? value : UINT64_MAX;
}

// What this process's memory cgroup still allows (a container's limit), or UINT64_MAX without a limit. Shared
// memory is charged to the cgroup that touches it first: here, the one that reserves it.
uint64_t cgroupRoom() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':'), second = line.find(':', colon + 1);
    if (colon == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(colon + 1, second - colon - 1), path = line.substr(second + 1);
    uint64_t limit = UINT64_MAX, used = 0;
    for (const std::string& at : {path, std::string("/")}) {  // in a container, its cgroup is mounted as the root
      if (controllers.empty()) {                              // cgroup v2
        limit = numberIn("/sys/fs/cgroup" + at + "/memory.max"),
        used = numberIn("/sys/fs/cgroup" + at + "/memory.current");
      } else if (controllers == "memory") {  // cgroup v1
        const std::string folder = "/sys/fs/cgroup/memory" + at;
        limit = numberIn(folder + "/memory.limit_in_bytes"), used = numberIn(folder + "/memory.usage_in_bytes");
      } else {
        break;
      }
      if (used != UINT64_MAX) break;  // found the cgroup's files
    }
    // v1 says "no limit" with a huge number rounded to pages
    if (limit < (uint64_t{1} << 62) && used != UINT64_MAX) return limit > used ? limit - used : 0;
  }
  return UINT64_MAX;
}

MemoryRoom memoryRoom() {
  std::ifstream in("/proc/meminfo");
  MemoryRoom room;
  uint64_t total = 0, available = 0, swapFree = 0;
  bool sawAvailable = false;
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemTotal:") total = kib << 10;
    if (key == "MemAvailable:") available = kib << 10, sawAvailable = true;
    if (key == "SwapFree:") swapFree = kib << 10;
  }
  if (sawAvailable) room.available = available + swapFree;
  room.keep = total / 16;
  if (const uint64_t cgroup = cgroupRoom(); cgroup < room.available) {
    room.available = cgroup;
    room.keep = std::min(room.keep, cgroup / 16);  // the cgroup's OOM killer picks among the container's processes
  }
  return room;
}

std::string inKiB(uint64_t bytes) { return std::to_string(bytes >> 10) + " KiB"; }

// Why `bytes` of pages cannot be reserved now ("" when they can). Checked before each step: fallocate on
// memory the machine does not have would wake the OOM killer, which kills the largest process, maybe not this
// one; beyond the file size limit (ulimit -f) the kernel kills this process with SIGXFSZ.
std::string cannotReserve(uint64_t bytes) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && bytes > limit.rlim_cur)
    return "the file size limit (ulimit -f) is " + inKiB(limit.rlim_cur);
  const MemoryRoom room = memoryRoom();
  if (room.available < room.keep || bytes > room.available - room.keep)
    return "the machine has " + inKiB(room.available) + " of memory available and keeps " + inKiB(room.keep) +
           " of it for other processes";
  return "";
}

// Reserves the pages now: a sparse segment in a too-small /dev/shm would kill the process with SIGBUS on
// first touch instead of failing here with a message. In steps, each checked first (cannotReserve), so that
// another process taking memory meanwhile stops the reservation instead of the machine. Returns "" or why not;
// on failure the caller drops the segment, whose reserved pages go with it.
std::string reservePages(int fd, size_t bytes) {
  constexpr size_t kStep = size_t{256} << 20;
  if (std::string why = cannotReserve(bytes); !why.empty()) return why;
  for (size_t done = 0; done < bytes; done += kStep) {
    const size_t step = std::min(kStep, bytes - done);
    if (done > 0)
      if (std::string why = cannotReserve(step); !why.empty()) return why;
    if (int rc = ::posix_fallocate(fd, static_cast<off_t>(done), static_cast<off_t>(step)); rc != 0)
      return std::strerror(rc) + std::string(" (/dev/shm too small? containers: --shm-size)");
  }
  return "";
}

// The message of a failed reservation.
[[noreturn]] void failReservation(size_t bytes, const std::string& what, const std::string& why) {
  fail(ncclSystemError, "cannot reserve " + inKiB(bytes) + " of shared memory" + what + ": " + why);
}

}  // namespace

SharedSegment SharedSegment::create(const std::string& name, size_t bytes) {
  int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) failErrno("shm_open " + name);
  if (std::string why = reservePages(fd, bytes); !why.empty()) {
    ::close(fd);
    ::shm_unlink(name.c_str());
    failReservation(bytes, " for " + name + " (or lower BRAID_SHM_SLOTS/BRAID_SHM_SLOT_BYTES)", why);
  }
  return SharedSegment(mapShared(fd, bytes, name), bytes);
}

SharedSegment SharedSegment::open(const std::string& name) {
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) failErrno("shm_open " + name);
  size_t bytes = 0;
  char* data = mapWhole(fd, name, &bytes);
  return SharedSegment(data, bytes);
}

SharedSegment SharedSegment::openFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) failErrno("open " + path);
  size_t bytes = 0;
  char* data = mapWhole(fd, path, &bytes);
  return SharedSegment(data, bytes);
}

SharedSegment SharedSegment::createUnnamed(size_t bytes, int* fd) {
  *fd = ::memfd_create("braid-shared-buffer", MFD_CLOEXEC);
  if (*fd < 0) failErrno("memfd_create");
  if (std::string why = reservePages(*fd, bytes); !why.empty()) {
    ::close(*fd);
    failReservation(bytes, "", why);
  }
  return SharedSegment(mapShared(*fd, bytes, std::to_string(bytes >> 10) + " KiB of shared memory", true), bytes);
}

// mremap with a fixed target replaces the old pages in one step: the range is never unmapped in between,
// where another thread's mmap could take it.
SharedSegment SharedSegment::moveIntoUnnamed(char* address, size_t bytes, int* fd) {
  SharedSegment fresh = createUnnamed(bytes, fd);
  std::memcpy(fresh.data_, address, bytes);
  if (::mremap(fresh.data_, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, address) == MAP_FAILED) {
    ::close(*fd);
    failErrno("mremap into shared memory");
  }
  fresh.data_ = nullptr;
  return SharedSegment(address, bytes);
}

void SharedSegment::moveToPrivate() {
  void* fresh = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fresh == MAP_FAILED) failErrno("mmap private pages");
  std::memcpy(fresh, data_, bytes_);
  if (::mremap(fresh, bytes_, bytes_, MREMAP_MAYMOVE | MREMAP_FIXED, data_) == MAP_FAILED) {
    ::munmap(fresh, bytes_);
    failErrno("mremap back to private memory");
  }
  data_ = nullptr;
}

void SharedSegment::unlink(const std::string& name) { ::shm_unlink(name.c_str()); }

SharedSegment::SharedSegment(SharedSegment&& other) noexcept : data_(other.data_), bytes_(other.bytes_) {
  other.data_ = nullptr;
}

SharedSegment& SharedSegment::operator=(SharedSegment&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, bytes_);
    data_ = other.data_;
    bytes_ = other.bytes_;
    other.data_ = nullptr;
  }
  return *this;
}

SharedSegment::~SharedSegment() {
  if (data_) ::munmap(data_, bytes_);
}

void checkProcessAlive(int32_t pid, const char* who) {
  if (pid > 0 && processExited(pid))
    fail(ncclRemoteError, std::string("shared-memory peer (") + who + " pid " + std::to_string(pid) + ") has exited");
}

}  // namespace braid
