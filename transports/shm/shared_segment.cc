#include "transports/shm/shared_segment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/error.h"

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

// A peer is gone when its pid no longer exists or is a zombie that its parent has not reaped yet.
bool processExited(int32_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');  // the command name may contain spaces and parentheses
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
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

// Reserves the pages now: a sparse segment in a too-small /dev/shm would kill the process with SIGBUS on
// first touch instead of failing here with a message.
int reservePages(int fd, size_t bytes) { return ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)); }

}  // namespace

SharedSegment SharedSegment::create(const std::string& name, size_t bytes) {
  int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) failErrno("shm_open " + name);
  if (int rc = reservePages(fd, bytes); rc != 0) {
    ::close(fd);
    ::shm_unlink(name.c_str());
    errno = rc;
    failErrno("cannot reserve " + std::to_string(bytes >> 10) + " KiB of shared memory for " + name +
              " (/dev/shm too small? containers: --shm-size; or lower BRAID_SHM_SLOTS/BRAID_SHM_SLOT_BYTES)");
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
  if (int rc = reservePages(*fd, bytes); rc != 0) {
    ::close(*fd);
    errno = rc;
    failErrno("cannot reserve " + std::to_string(bytes >> 10) + " KiB of shared memory");
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
