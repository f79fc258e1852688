// Shared-memory transport: a single-producer single-consumer ring of fixed-size slots in a POSIX shm segment.
//
// The receiver creates the segment, the sender maps it, and both unlink it once the communicator is wired, so
// nothing is left in /dev/shm even if a process dies. Each slot holds one chunk from one trySend call; the
// receiver reduces or copies straight out of the slot. Each side records its pid so the other can tell a dead
// peer from a slow one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "transports/shm/shared_segment.h"
#include "transports/transport.h"

namespace braid {

struct ShmFifoGeometry {
  size_t slots;
  size_t slotBytes;
  static ShmFifoGeometry fromEnv();  // BRAID_SHM_SLOTS (default 8), BRAID_SHM_SLOT_BYTES (default 256 KiB)
};

// A mapped FIFO segment; the sender and the receiver each hold one.
class ShmFifo {
 public:
  static ShmFifo create(const std::string& name, ShmFifoGeometry geometry);  // receiver side
  static ShmFifo open(const std::string& name);                              // sender side
  static void unlink(const std::string& name);

  struct Header;
  Header* header() const { return reinterpret_cast<Header*>(segment_.data()); }
  char* slot(uint64_t index) const;
  size_t bytes() const { return segment_.bytes(); }  // the mapped segment

 private:
  explicit ShmFifo(SharedSegment segment) : segment_(std::move(segment)) {}
  SharedSegment segment_;
};

struct ShmFifo::Header {
  alignas(64) std::atomic<uint64_t> head;  // slots published by the sender
  alignas(64) std::atomic<uint64_t> tail;  // slots released by the receiver
  alignas(64) uint64_t slots;
  uint64_t slotBytes;
  int32_t senderPid;
  int32_t receiverPid;
};

class ShmSendConnection : public SendConnection {
 public:
  explicit ShmSendConnection(ShmFifo fifo);
  size_t trySend(const void* data, size_t bytes) override;
  size_t trySendAfter(const void* prefix, size_t prefixBytes, const void* data, size_t bytes) override;
  void checkPeer() override;
  size_t heldBytes() const override { return fifo_.bytes(); }

 private:
  size_t put(const void* prefix, size_t prefixBytes, const void* data, size_t bytes);
  ShmFifo fifo_;
  uint64_t head_ = 0;
};

class ShmRecvConnection : public RecvConnection {
 public:
  explicit ShmRecvConnection(ShmFifo fifo);
  Chunk peek() override;
  void release(size_t bytes) override;
  void checkPeer() override;
  size_t heldBytes() const override { return fifo_.bytes(); }

 private:
  ShmFifo fifo_;
  uint64_t tail_ = 0;
  size_t offsetInSlot_ = 0;
};

}  // namespace braid
