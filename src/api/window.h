// A memory window (ncclWindow_t) as the window and one-sided calls share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nccl.h"

struct ncclWindow_vidmem {
  static constexpr uint64_t kMagic = 0x776f646e69776462ull;
  uint64_t magic = kMagic;
  const ncclComm* comm;
  void* buffer;
  size_t size;
  int flags;
  bool shared = false;  // share() succeeded: deregistering undoes it
  uint64_t id = 0;      // the number every rank gives it in the one-sided mesh
  // What each rank registered under it (this one's included): where puts to that rank land.
  struct PeerPart {
    uint64_t address;
    uint64_t size;
    bool hostMemory;
  };
  std::vector<PeerPart> peers;
};

// `win`, when registered with `comm`; otherwise throws ncclInvalidArgument naming `call`.
ncclWindow_vidmem* windowOf(ncclComm* comm, ncclWindow_t win, const char* call);
