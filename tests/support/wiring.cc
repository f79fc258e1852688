#include "wiring.h"

#include <cstdlib>
#include <string>

namespace braid::testing {

const char* wiringName(Wiring wiring) {
  static const char* names[] = {"shm",         "sockets", "striped_sockets", "mixed",
                                "interleaved", "ofi_tcp", "ofi_shm",         "plugin"};
  return names[static_cast<int>(wiring)];
}

void useWiring(Wiring wiring, int rank) {
  const bool ownHost = wiring != Wiring::SharedMemory && wiring != Wiring::Mixed && wiring != Wiring::Interleaved;
  if (ownHost) setenv("BRAID_HOSTID", ("host" + std::to_string(rank)).c_str(), 1);
  if (wiring == Wiring::Mixed) setenv("BRAID_HOSTID", ("node" + std::to_string(rank / 2)).c_str(), 1);
  if (wiring == Wiring::Interleaved) setenv("BRAID_HOSTID", ("node" + std::to_string(rank % 2)).c_str(), 1);
  if (wiring == Wiring::OfiTcp || wiring == Wiring::OfiShm) {
    setenv("BRAID_NET", "ofi", 1);
    setenv("FI_PROVIDER", wiring == Wiring::OfiTcp ? "tcp" : "shm", 1);
  }
  if (wiring == Wiring::StripedSockets) {
    setenv("BRAID_SOCKET_NTHREADS", "2", 1);
    setenv("BRAID_NSOCKS_PERTHREAD", "2", 1);
    setenv("BRAID_SOCKET_STAGING_BYTES", "200003", 1);  // a small ring: it wraps often, also inside elements
  }
  if (wiring == Wiring::Plugin) {
    setenv("BRAID_NET_PLUGIN", "braid-example", 1);
    setenv("BRAID_NET", "plugin", 1);  // fail rather than fall back when the plugin does not load
  }
}

}  // namespace braid::testing
