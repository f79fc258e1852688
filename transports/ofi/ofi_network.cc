// The libfabric network's row: one RDM endpoint per communicator, its name swapped through the bootstrap, a
// port pair per (channel, peer) stream. Taken by default only where an RDMA device could give it a fast
// provider (verbs, efa, ...): over TCP Braid's own sockets do as well without loading libfabric.
#include <cstring>

#include "base/error.h"
#include "base/log.h"
#include "topology/rdma_devices.h"
#include "transports/network.h"
#include "transports/ofi/ofi_endpoint.h"

namespace braid {
namespace {

bool fastProviderHere() {
  if (topo::listRdmaPorts().empty()) return false;
  for (const std::string& provider : ofiProviders())
    if (ofiProviderIsFast(provider)) return true;
  return false;
}

void connectOfi(NetworkContext& context, const std::vector<int>& peers) {
  Bootstrap& b = context.bootstrap;
  auto endpoint = std::make_shared<OfiEndpoint>(b.rank(), b.nranks(), b.peers()[b.rank()].listen, context.trafficClass);
  constexpr size_t kNameBytes = 256;
  std::vector<char> names(kNameBytes * b.nranks());
  std::vector<char> mine = endpoint->address();
  if (mine.size() >= kNameBytes) fail(ncclSystemError, "libfabric endpoint name is too long");
  names[kNameBytes * b.rank()] = static_cast<char>(mine.size());
  std::memcpy(&names[kNameBytes * b.rank() + 1], mine.data(), mine.size());
  b.allGather(names.data(), kNameBytes);
  std::vector<std::vector<char>> table(b.nranks());
  for (int peer : peers) {
    const char* block = &names[kNameBytes * peer];
    table[peer].assign(block + 1, block + 1 + static_cast<unsigned char>(block[0]));
  }
  endpoint->addPeers(table);
  auto watches = peerWatches(b, peers);
  for (int peer : peers)
    for (int c = 0; c < kChannelCount; ++c)
      installMessagePorts(context.channels[c], peer, endpoint->sendPort(c, peer, watches[peer]),
                          endpoint->recvPort(c, peer, watches[peer]));
  BRAID_INFO("NET", "rank %d reaches %zu peers over libfabric (%s)", b.rank(), peers.size(),
             endpoint->provider().c_str());
}

}  // namespace

const Network& ofiNetwork() {
  static const Network row{"ofi",
                           {"libfabric"},
                           "libfabric",
                           fastProviderHere,
                           []() -> const char* { return nullptr; },
                           [] { return std::string(); },  // the endpoint says which provider is missing
                           connectOfi};
  return row;
}

}  // namespace braid
