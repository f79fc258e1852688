#include "transports/shm/ll_mailbox.h"

#include <unistd.h>

#include <new>

#include "base/error.h"
#include "transports/shm/cross_memory.h"

namespace braid {

struct LlMailbox::Header {
  static constexpr uint64_t kMagic = 0x786f626c6c646962ull;  // "bidllbox"
  uint64_t magic;
  uint64_t linesPerSlot;
  int32_t ownerPid;
  uint64_t ownerAddress;  // where the owner maps its box: peers probe cross-memory attach by reading the header
};

namespace {
constexpr size_t kSegmentBytes =
    LlMailbox::kHeaderBytes + LlMailbox::kSlots * LlMailbox::kLinesPerSlot * sizeof(LlLine);
}  // namespace

LlMailbox::LlMailbox(const std::vector<std::string>& names, int rank)
    : rank_(rank), staging_(new char[kCapacityBytes]), seenFinished_(names.size(), 0) {
  boxes_.resize(names.size());
  boxes_[rank] = SharedSegment::create(names[rank], kSegmentBytes);
  new (boxes_[rank].data()) Header{Header::kMagic, kLinesPerSlot, static_cast<int32_t>(::getpid()),
                                   reinterpret_cast<uintptr_t>(boxes_[rank].data())};
  new (&ownDoorbell()) Doorbell;
}

void LlMailbox::openPeers(const std::vector<std::string>& names) {
  for (int r = 0; r < nranks(); ++r) {
    if (r == rank_) continue;
    const std::string& name = names[r];
    SharedSegment box = SharedSegment::open(name);
    const auto* h = reinterpret_cast<const Header*>(box.data());
    if (box.bytes() < kSegmentBytes || h->magic != Header::kMagic || h->linesPerSlot != kLinesPerSlot)
      fail(ncclSystemError, "shared-memory segment " + name + " is not a mailbox of this Braid version");
    boxes_[r] = std::move(box);
  }
}

bool LlMailbox::slotFree(uint64_t sequence, int* busy) const {
  if (sequence <= kSlots) return true;
  const uint64_t needed = sequence - kSlots;
  for (int r = 0; r < nranks(); ++r) {
    if (r == rank_ || seenFinished_[r] >= needed) continue;
    seenFinished_[r] = finishedCounter(r).load(std::memory_order_acquire);
    if (seenFinished_[r] < needed) return *busy = r, false;
  }
  return true;
}

std::string LlMailbox::describeBusySlot(uint64_t sequence, int busy) {
  return "LL slot " + std::to_string(sequence % kSlots) + " (rank " + std::to_string(busy) +
         " has not finished LL collective " + std::to_string(sequence - kSlots) + ")";
}

int32_t LlMailbox::ownerPid(int rank) const { return reinterpret_cast<const Header*>(boxes_[rank].data())->ownerPid; }

bool LlMailbox::crossMemoryReaches(int rank) const {
  const auto* h = reinterpret_cast<const Header*>(boxes_[rank].data());
  return cross_memory::readable(h->ownerPid, h->ownerAddress, h, sizeof(Header));
}

}  // namespace braid
