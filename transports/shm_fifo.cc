#include "transports/shm_fifo.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/env.h"
#include "core/error.h"

namespace braid {
namespace {

// Each slot starts with its payload size, then the payload, cache-line aligned.
constexpr size_t kSlotHeader = 64;

size_t slotStride(size_t slotBytes) { return kSlotHeader + slotBytes; }
size_t segmentBytes(size_t slots, size_t slotBytes) { return 4096 + slots * slotStride(slotBytes); }

// A peer is gone when its pid no longer exists or is a zombie that its parent has not reaped yet.
bool processExited(int32_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');  // the command name may contain spaces and parentheses
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

void checkAlive(int32_t pid, const char* who) {
  if (pid > 0 && processExited(pid))
    fail(ncclRemoteError, std::string("shared-memory peer (") + who + " pid " + std::to_string(pid) + ") has exited");
}

}  // namespace

ShmFifoGeometry ShmFifoGeometry::fromEnv() {
  ShmFifoGeometry g{static_cast<size_t>(envInt("SHM_SLOTS", 8, false)),
                    static_cast<size_t>(envInt("SHM_SLOT_BYTES", 256 * 1024, false))};
  if (g.slots < 2 || g.slotBytes < 64 || g.slotBytes % 64 != 0)
    fail(ncclInvalidUsage, "BRAID_SHM_SLOTS must be >= 2 and BRAID_SHM_SLOT_BYTES a multiple of 64");
  return g;
}

ShmFifo ShmFifo::create(const std::string& name, ShmFifoGeometry g) {
  int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) failErrno("shm_open " + name);
  size_t bytes = segmentBytes(g.slots, g.slotBytes);
  // Reserve the pages now: a sparse segment in a too-small /dev/shm would kill the process with SIGBUS on
  // first touch instead of failing here with a message.
  if (int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)); rc != 0) {
    ::close(fd);
    ::shm_unlink(name.c_str());
    errno = rc;
    failErrno("cannot reserve " + std::to_string(bytes >> 10) + " KiB of shared memory for " + name +
              " (/dev/shm too small? containers: --shm-size; or lower BRAID_SHM_SLOTS/BRAID_SHM_SLOT_BYTES)");
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) failErrno("mmap " + name);
  auto* h = new (p) Header{};
  h->slots = g.slots;
  h->slotBytes = g.slotBytes;
  h->receiverPid = ::getpid();
  return ShmFifo(h, bytes);
}

ShmFifo ShmFifo::open(const std::string& name) {
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) failErrno("shm_open " + name);
  Header probe;
  if (::pread(fd, static_cast<void*>(&probe), sizeof probe, 0) != static_cast<ssize_t>(sizeof probe)) {
    ::close(fd);
    fail(ncclSystemError, "shared-memory segment " + name + " is truncated");
  }
  size_t bytes = segmentBytes(probe.slots, probe.slotBytes);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) failErrno("mmap " + name);
  auto* h = static_cast<Header*>(p);
  h->senderPid = ::getpid();
  return ShmFifo(h, bytes);
}

void ShmFifo::unlink(const std::string& name) { ::shm_unlink(name.c_str()); }

ShmFifo::ShmFifo(ShmFifo&& other) noexcept : header_(other.header_), mappedBytes_(other.mappedBytes_) {
  other.header_ = nullptr;
}

ShmFifo::~ShmFifo() {
  if (header_) ::munmap(header_, mappedBytes_);
}

char* ShmFifo::slot(uint64_t index) const {
  return reinterpret_cast<char*>(header_) + 4096 + (index % header_->slots) * slotStride(header_->slotBytes);
}

ShmSendConnection::ShmSendConnection(ShmFifo fifo) : fifo_(std::move(fifo)) {
  head_ = fifo_.header()->head.load(std::memory_order_relaxed);
}

size_t ShmSendConnection::trySend(const void* data, size_t bytes) {
  ShmFifo::Header* h = fifo_.header();
  if (head_ - h->tail.load(std::memory_order_acquire) >= h->slots) return 0;
  size_t n = bytes < h->slotBytes ? bytes : h->slotBytes;
  char* s = fifo_.slot(head_);
  std::memcpy(s + kSlotHeader, data, n);
  *reinterpret_cast<uint64_t*>(s) = n;
  h->head.store(++head_, std::memory_order_release);
  return n;
}

void ShmSendConnection::checkPeer() { checkAlive(fifo_.header()->receiverPid, "receiver"); }

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

void ShmRecvConnection::checkPeer() { checkAlive(fifo_.header()->senderPid, "sender"); }

}  // namespace braid
