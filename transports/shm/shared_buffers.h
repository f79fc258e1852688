// Host buffers that the peers on this host can map, so that collectives read and write them in place (zero
// copy): ncclMemAlloc hands them out, and ncclCommRegister moves a private buffer's pages into one in place. Each
// allocation is its own memfd, kept open by its owner; a peer maps it as /proc/OWNER/fd/N, which needs no name in
// /dev/shm and so leaves nothing behind when a process dies.
//
// Owner side: allocate, release, and describe where a buffer lies (a SharedBufferRef, small enough for one LL
// line). Peer side: PeerBufferMap maps what a ref describes, once per allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "transports/shm/shared_segment.h"

namespace braid {

struct SharedBufferRef {
  uint64_t allocation = 0;  // the owner's id of the allocation (from 1); 0: the buffer is not shareable
  uint64_t allocationBytes = 0;
  uint64_t offset = 0;   // of the buffer in the allocation
  uint64_t address = 0;  // of the buffer in its owner's address space (for cross-memory attach)
  int32_t pid = 0;       // the owner
  int32_t fd = -1;       // the owner's descriptor of the allocation's memfd
  bool shareable() const { return allocation != 0; }
};

namespace shared_buffers {

void* allocate(size_t bytes);  // page-aligned; throws ncclSystemError
bool release(void* pointer);   // false when `pointer` is not an allocation of allocate()
// Makes [pointer, pointer + bytes) shareable: nothing to do within an allocation; otherwise its pages move into
// a new allocation at the same addresses, when they are whole pages of private anonymous memory (heap,
// aligned_alloc, mmap) that no other allocation overlaps. Returns "" when the buffer is shareable afterwards,
// else why not. The moved pages stay shared until the last unshare(): a process forked meanwhile shares them.
std::string share(void* pointer, size_t bytes);
// Undoes one successful share(); the last one of a moved range gives its pages back to private memory.
void unshare(void* pointer, size_t bytes);
// Where [pointer, pointer + bytes) lies, when it lies within one allocation; otherwise a ref that is not
// shareable (its address and pid still say where it is).
SharedBufferRef find(const void* pointer, size_t bytes);

}  // namespace shared_buffers

// A communicator's mappings of its peers' allocations. Mappings stay until evicted (the oldest go once there
// are more than `limit`), so a peer's allocation outlives its ncclMemFree here until then.
class PeerBufferMap {
 public:
  explicit PeerBufferMap(size_t limit) : limit_(limit) {}
  // The buffer `ref` describes, mapped; nullptr when it cannot be (a warning names the cause, once per peer:
  // the ranks retry now and then, see DirectAttempts).
  char* resolve(int rank, const SharedBufferRef& ref);

 private:
  using Key = std::pair<int, uint64_t>;  // rank, allocation
  bool firstFailure(int rank) { return warned_.insert(rank).second; }
  size_t limit_;
  std::set<int> warned_;
  std::map<Key, SharedSegment> mapped_;
  std::deque<Key> order_;  // oldest first
};

}  // namespace braid
