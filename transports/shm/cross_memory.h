// Cross-memory attach (CMA): the kernel copies between this process and a peer's address space
// (process_vm_readv / process_vm_writev), one copy instead of the FIFO's two, with no shared mapping of the
// buffers. It needs the right to ptrace the peer (same user; Yama's ptrace_scope, a container's seccomp
// profile or a missing CAP_SYS_PTRACE can forbid it), so communicators probe it at init before the planner
// prices it (docs/planner.md). Each call pins the pages it touches, so it costs a system call and then copies
// at the kernel's rate (about a third of memcpy's on the CI VM, docs/performance.md).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace braid::cross_memory {

// Whether `bytes` at `remote` in process `pid` read back as the `expected` bytes this process sees (the same
// shared memory mapped on both sides): false when the kernel refuses, never throws.
bool readable(pid_t pid, uint64_t remote, const void* expected, size_t bytes);
// Copies `bytes` from `remote` in `pid` to `local`, or from `local` to `remote`, whole. Throws ncclRemoteError
// when the peer has exited, ncclSystemError naming the peer when the kernel refuses or an address is bad.
void read(pid_t pid, uint64_t remote, void* local, size_t bytes);
void write(pid_t pid, uint64_t remote, const void* local, size_t bytes);

}  // namespace braid::cross_memory
