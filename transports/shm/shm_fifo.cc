#include "transports/shm/shm_fifo.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/params.h"

namespace braid {
namespace {

// Each slot starts with its payload size, then the payload, cache-line aligned.
constexpr size_t kSlotHeader = 64;

size_t slotStride(size_t slotBytes) { return kSlotHeader + slotBytes; }
size_t segmentBytes(size_t slots, size_t slotBytes) { return 4096 + slots * slotStride(slotBytes); }

const param::Integer kShmSlots{
    "SHM_SLOTS", param::kBraidOnly, 8, 2, 1024, "slots per shared-memory FIFO and direction"};
const param::Bytes kShmSlotBytes{
    "SHM_SLOT_BYTES", param::kBraidOnly, 256 * 1024, 64, size_t{1} << 30, 64, "bytes per shared-memory FIFO slot"};

}  // namespace

ShmFifoGeometry ShmFifoGeometry::fromEnv() { return {static_cast<size_t>(kShmSlots.get()), kShmSlotBytes.get()}; }

ShmFifo ShmFifo::create(const std::string& name, ShmFifoGeometry g) {
  SharedSegment segment = SharedSegment::create(name, segmentBytes(g.slots, g.slotBytes));
  auto* h = new (segment.data()) Header{};
  h->slots = g.slots;
  h->slotBytes = g.slotBytes;
  h->receiverPid = ::getpid();
  return ShmFifo(std::move(segment));
}

ShmFifo ShmFifo::open(const std::string& name) {
  SharedSegment segment = SharedSegment::open(name);
  auto* h = reinterpret_cast<Header*>(segment.data());
  if (segment.bytes() < sizeof(Header) || h->slots == 0 || segment.bytes() < segmentBytes(h->slots, h->slotBytes))
    fail(ncclSystemError, "shared-memory segment " + name + " is truncated");
  h->senderPid = ::getpid();
  return ShmFifo(std::move(segment));
}

void ShmFifo::unlink(const std::string& name) { SharedSegment::unlink(name); }

char* ShmFifo::slot(uint64_t index) const {
  const Header* h = header();
  return segment_.data() + 4096 + (index % h->slots) * slotStride(h->slotBytes);
}

ShmSendConnection::ShmSendConnection(ShmFifo fifo) : fifo_(std::move(fifo)) {
  head_ = fifo_.header()->head.load(std::memory_order_relaxed);
}

size_t ShmSendConnection::trySend(const void* data, size_t bytes) { return put(nullptr, 0, data, bytes); }

size_t ShmSendConnection::trySendAfter(const void* prefix, size_t prefixBytes, const void* data, size_t bytes) {
  return put(prefix, prefixBytes, data, bytes);
}

// A slot holds at least 64 bytes (BRAID_SHM_SLOT_BYTES), so a prefix (a call's 8-byte tag) always fits whole.
size_t ShmSendConnection::put(const void* prefix, size_t prefixBytes, const void* data, size_t bytes) {
  ShmFifo::Header* h = fifo_.header();
  if (head_ - h->tail.load(std::memory_order_acquire) >= h->slots) return 0;
  const size_t n = std::min(prefixBytes + bytes, static_cast<size_t>(h->slotBytes));
  char* s = fifo_.slot(head_);
  if (prefixBytes > 0) std::memcpy(s + kSlotHeader, prefix, prefixBytes);
  std::memcpy(s + kSlotHeader + prefixBytes, data, n - prefixBytes);
  *reinterpret_cast<uint64_t*>(s) = n;
  h->head.store(++head_, std::memory_order_release);
  return n;
}

void ShmSendConnection::checkPeer() { checkProcessAlive(fifo_.header()->receiverPid, "receiver"); }

ShmRecvConnection::ShmRecvConnection(ShmFifo fifo) : fifo_(std::move(fifo)) {
  tail_ = fifo_.header()->tail.load(std::memory_order_relaxed);
}

Chunk ShmRecvConnection::peek() {
  ShmFifo::Header* h = fifo_.header();
  if (h->head.load(std::memory_order_acquire) == tail_) return {};
  const char* s = fifo_.slot(tail_);
  size_t size = *reinterpret_cast<const uint64_t*>(s);
  return {s + kSlotHeader + offsetInSlot_, size - offsetInSlot_};
}

void ShmRecvConnection::release(size_t bytes) {
  const char* s = fifo_.slot(tail_);
  size_t size = *reinterpret_cast<const uint64_t*>(s);
  offsetInSlot_ += bytes;
  if (offsetInSlot_ >= size) {
    offsetInSlot_ = 0;
    fifo_.header()->tail.store(++tail_, std::memory_order_release);
  }
}

void ShmRecvConnection::checkPeer() { checkProcessAlive(fifo_.header()->senderPid, "sender"); }

}  // namespace braid
