#include "transports/shared_buffers.h"

#include <unistd.h>

#include <mutex>
#include <string>

#include "core/error.h"
#include "core/log.h"

namespace braid {
namespace {

struct Allocation {
  SharedSegment memory;
  int fd;
  uint64_t id;
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
  if (it == r.byAddress.end()) return false;
  ::close(it->second.fd);
  r.byAddress.erase(it);  // unmaps
  return true;
}

SharedBufferRef find(const void* pointer, size_t bytes) {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.byAddress.upper_bound(address);
  if (it == r.byAddress.begin()) return {};
  --it;
  const Allocation& a = it->second;
  const uintptr_t offset = address - it->first;
  if (offset > a.memory.bytes() || bytes > a.memory.bytes() - offset) return {};
  return {a.id, a.memory.bytes(), offset, static_cast<int32_t>(::getpid()), a.fd};
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
