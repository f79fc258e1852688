// libfabric, opened at run time (dlopen) the first time a communicator needs it, rather than linked: loading
// libfabric 1.17 loads PSM libraries whose constructors install signal handlers (they catch SIGSEGV and
// SIGABRT and write *.btr files), which no program should get merely for linking Braid. Only libfabric's few
// exported functions come through here; the rest of its API is inline calls through the objects it returns.
#pragma once

#include <rdma/fabric.h>

#include <string>

namespace braid {

struct LibFabric {
  int (*getinfo)(uint32_t version, const char* node, const char* service, uint64_t flags, const fi_info* hints,
                 fi_info** info);
  void (*freeinfo)(fi_info* info);
  fi_info* (*dupinfo)(const fi_info* info);
  int (*fabric)(fi_fabric_attr* attr, fid_fabric** fabric, void* context);
  const char* (*strerror)(int errnum);
};

// The loaded library, or null (then `why` says what failed).
const LibFabric* libfabric(std::string* why = nullptr);

}  // namespace braid
