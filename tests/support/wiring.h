// Which transport forked test ranks use between them, chosen the way users choose it: host identities
// (BRAID_HOSTID: one host = shared memory, one per rank = the network), BRAID_NET, FI_PROVIDER and
// BRAID_NET_PLUGIN.
#pragma once

namespace braid::testing {

enum class Wiring {
  SharedMemory,    // one host
  Sockets,         // one host per rank, TCP sockets
  StripedSockets,  // one host per rank, 4 sockets and 2 helper threads per stream, a ring that wraps often
  Mixed,           // two ranks per host: shared memory inside, sockets across
  Interleaved,     // two hosts, ranks dealt round-robin (0, 2, ... on one): rings must go host by host
  OfiTcp,          // one host per rank, libfabric's tcp provider
  OfiShm,          // one host per rank, libfabric's shm provider
  Plugin,          // one host per rank, the example ncclNet_v8 plugin (libnccl-net-braid-example.so)
};

const char* wiringName(Wiring wiring);
// Sets this rank's environment for `wiring`; call in the forked rank before init.
void useWiring(Wiring wiring, int rank);

}  // namespace braid::testing
