#include "transports/shm/shared_buffers.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/log.h"

namespace braid {
namespace {

struct Allocation {
  SharedSegment memory;
  int fd;
  uint64_t id;
  int shares = 0;  // pages moved in by share(): how many share() calls hold them; 0 for allocate()'s
};

struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, Allocation> byAddress;
  uint64_t lastId = 0;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: ncclMemFree may run from static destructors
  return *r;
}

// The allocation holding all of [address, address + bytes), or end().
std::map<uintptr_t, Allocation>::iterator containing(Registry& r, uintptr_t address, size_t bytes) {
  auto it = r.byAddress.upper_bound(address);
  if (it == r.byAddress.begin()) return r.byAddress.end();
  --it;
  const uintptr_t offset = address - it->first;
  const size_t size = it->second.memory.bytes();
  return offset <= size && bytes <= size - offset ? it : r.byAddress.end();
}

bool overlapsAny(const Registry& r, uintptr_t begin, uintptr_t end) {
  auto it = r.byAddress.lower_bound(end);
  if (it == r.byAddress.begin()) return false;
  --it;
  return it->first + it->second.memory.bytes() > begin;
}

// Why the pages of [begin, end) cannot move into shared memory, from /proc/self/maps: each must be private,
// anonymous (or the brk heap) and read-write, or moving them would cut a file or a peer's mapping off.
std::string whyNotMovable(uintptr_t begin, uintptr_t end) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  uintptr_t covered = begin;
  while (covered < end && std::getline(maps, line)) {
    unsigned long start = 0, stop = 0, inode = 0;
    char perms[8] = {};
    int pathAt = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %*s %*s %lu %n", &start, &stop, perms, &inode, &pathAt) < 4) continue;
    if (stop <= covered) continue;
    if (start > covered) break;
    const std::string path = pathAt > 0 ? line.substr(static_cast<size_t>(pathAt)) : "";
    if (std::string(perms).compare(0, 4, "rw-p") != 0 || inode != 0 || !(path.empty() || path == "[heap]"))
      return "it lies in a mapping that is not private anonymous memory (" + std::string(perms) + " " +
             (path.empty() ? "anonymous" : path) + ")";
    covered = stop;
  }
  return covered >= end ? "" : "part of it is not mapped";
}

}  // namespace

namespace shared_buffers {

void* allocate(size_t bytes) {
  int fd = -1;
  SharedSegment memory = SharedSegment::createUnnamed(bytes, &fd);
  char* data = memory.data();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.byAddress.emplace(reinterpret_cast<uintptr_t>(data), Allocation{std::move(memory), fd, ++r.lastId});
  return data;
}

bool release(void* pointer) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.byAddress.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == r.byAddress.end() || it->second.shares > 0) return false;
  ::close(it->second.fd);
  r.byAddress.erase(it);  // unmaps
  return true;
}

std::string share(void* pointer, size_t bytes) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = containing(r, address, bytes);
  if (it != r.byAddress.end()) {
    if (it->second.shares > 0) ++it->second.shares;
    return "";
  }
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  if (bytes == 0 || address % page != 0 || bytes % page != 0)
    return "it does not start and end on page boundaries (" + std::to_string(page) +
           " bytes; its first and last pages may hold other data)";
  if (overlapsAny(r, address, address + bytes)) return "it overlaps another shared buffer";
  if (std::string why = whyNotMovable(address, address + bytes); !why.empty()) return why;
  int fd = -1;
  SharedSegment memory = SharedSegment::moveIntoUnnamed(static_cast<char*>(pointer), bytes, &fd);
  r.byAddress.emplace(address, Allocation{std::move(memory), fd, ++r.lastId, 1});
  return "";
}

void unshare(void* pointer, size_t bytes) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = containing(r, reinterpret_cast<uintptr_t>(pointer), bytes);
  if (it == r.byAddress.end() || it->second.shares == 0 || --it->second.shares > 0) return;
  it->second.memory.moveToPrivate();
  ::close(it->second.fd);
  r.byAddress.erase(it);
}

SharedBufferRef find(const void* pointer, size_t bytes) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  auto it = containing(r, address, bytes);
  const auto pid = static_cast<int32_t>(::getpid());
  if (it == r.byAddress.end()) return {0, 0, 0, address, pid, -1};
  const Allocation& a = it->second;
  return {a.id, a.memory.bytes(), address - it->first, address, pid, a.fd};
}

}  // namespace shared_buffers

char* PeerBufferMap::resolve(int rank, const SharedBufferRef& ref) {
  const Key key{rank, ref.allocation};
  auto it = mapped_.find(key);
  if (it == mapped_.end()) {
    const std::string path = "/proc/" + std::to_string(ref.pid) + "/fd/" + std::to_string(ref.fd);
    SharedSegment segment;
    try {
      segment = SharedSegment::openFile(path);
    } catch (const Error& e) {
      if (firstFailure(rank))
        BRAID_WARN("SHM", "cannot map rank %d's shared buffer (%s); its collectives go through the FIFOs", rank,
                   e.what());
      return nullptr;
    }
    if (segment.bytes() != ref.allocationBytes) {
      if (firstFailure(rank))
        BRAID_WARN("SHM", "%s is not rank %d's shared buffer (%zu bytes, expected %llu)", path.c_str(), rank,
                   segment.bytes(), static_cast<unsigned long long>(ref.allocationBytes));
      return nullptr;
    }
    while (mapped_.size() >= limit_ && !order_.empty()) {
      mapped_.erase(order_.front());
      order_.pop_front();
    }
    it = mapped_.emplace(key, std::move(segment)).first;
    order_.push_back(key);
  }
  return it->second.data() + ref.offset;
}

}  // namespace braid
