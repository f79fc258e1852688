#include "transports/shm/cross_memory.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "base/error.h"

namespace braid::cross_memory {
namespace {

// One direction of a whole transfer: the kernel may move less than asked (a page it could not pin yet).
template <class Transfer>
void transferAll(Transfer transfer, pid_t pid, uint64_t remote, char* local, size_t bytes, const char* what) {
  while (bytes > 0) {
    iovec localIov{local, bytes};
    iovec remoteIov{reinterpret_cast<void*>(static_cast<uintptr_t>(remote)), bytes};
    const ssize_t moved = transfer(pid, &localIov, 1, &remoteIov, 1, 0);
    if (moved > 0) {
      local += moved, remote += static_cast<uint64_t>(moved), bytes -= static_cast<size_t>(moved);
      continue;
    }
    if (moved < 0 && errno == EINTR) continue;
    const int error = moved < 0 ? errno : EFAULT;
    if (error == ESRCH) fail(ncclRemoteError, "shared-memory peer (pid " + std::to_string(pid) + ") has exited");
    fail(ncclSystemError,
         std::string("cross-memory ") + what + " of pid " + std::to_string(pid) + " failed: " + std::strerror(error));
  }
}

}  // namespace

bool readable(pid_t pid, uint64_t remote, const void* expected, size_t bytes) {
  std::unique_ptr<char[]> seen(new char[bytes]);
  iovec localIov{seen.get(), bytes};
  iovec remoteIov{reinterpret_cast<void*>(static_cast<uintptr_t>(remote)), bytes};
  return process_vm_readv(pid, &localIov, 1, &remoteIov, 1, 0) == static_cast<ssize_t>(bytes) &&
         std::memcmp(seen.get(), expected, bytes) == 0;
}

void read(pid_t pid, uint64_t remote, void* local, size_t bytes) {
  transferAll(process_vm_readv, pid, remote, static_cast<char*>(local), bytes, "read");
}

void write(pid_t pid, uint64_t remote, const void* local, size_t bytes) {
  transferAll(process_vm_writev, pid, remote, const_cast<char*>(static_cast<const char*>(local)), bytes, "write");
}

}  // namespace braid::cross_memory
