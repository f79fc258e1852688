// The networks between hosts, a registry of rows (the idea of NCCL's transport table): each transport folder
// declares its network with its names and how it connects a communicator's ranks on other hosts. BRAID_NET
// (alias NCCL_NET) picks one by name; otherwise each rank takes the first row that prefers itself (a plugin
// BRAID_NET_PLUGIN loaded, then libfabric with an RDMA-class provider, then sockets, which every host has). All
// ranks must use the same one: they vote, and fall back to the row every host can run when they differ.
//
// Adding a network: a folder with its connections, a row accessor declared here and listed in network.cc
// (docs/contributing.md). Shared memory between ranks of one host is not a network in this sense: it is always
// used there (transports/shm/shm_wiring.h).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bootstrap/bootstrap.h"
#include "transports/transport.h"

namespace braid {

// What a network wires: the communicator's channels (the connections to the peers it is given are filled in),
// its rank's bootstrap (rank, count, the ring for exchanging addresses, authenticated TCP connections), and what
// the communicator's config asks of the network.
struct NetworkContext {
  Bootstrap& bootstrap;
  std::array<ChannelConnections, kChannelCount>& channels;
  std::optional<std::string> networkName;  // config netName; BRAID_NET, when set, wins
  int trafficClass = -1;                   // config trafficClass: IP type of service of the sockets; -1: none
  int socketThreads = 0;                   // config nChannelsPerNetPeer; BRAID_SOCKET_NTHREADS, when set, wins
};

struct Network {
  const char* name;                  // what BRAID_NET says, and the logs
  std::vector<const char*> aliases;  // also accepted by BRAID_NET
  const char* description;           // "libfabric", for the logs
  // Whether this process would take it without being asked: the first row that says so wins.
  bool (*preferred)();
  // Another name it answers to now (the loaded plugin's own), or null.
  const char* (*currentName)();
  // Why it cannot run when BRAID_NET asks for it ("" when it can).
  std::string (*unavailable)();
  // Connects every channel to each of `peers` (all on other hosts).
  void (*connect)(NetworkContext& context, const std::vector<int>& peers);
};

// The rows, most preferred first; the last (sockets) runs everywhere and is the fallback.
const std::vector<const Network*>& networks();
const Network& pluginNetwork();  // transports/plugin/plugin_network.cc
const Network& ofiNetwork();     // transports/ofi/ofi_network.cc
const Network& socketNetwork();  // transports/socket/socket_network.cc

// Picks the network every rank agrees on and connects this rank to `remotePeers` (those on other hosts; when it
// has none, no rank has any).
void connectRemotePeers(NetworkContext& context, const std::vector<int>& remotePeers);

// Helpers the networks share. One authenticated TCP connection per (peer, channel number) from the bootstrap
// (lower ranks connect to higher ones), for `channels` numbers.
std::map<std::pair<int, int>, Socket> bootstrapConnections(Bootstrap& bootstrap, const std::vector<int>& peers,
                                                           int channels);

}  // namespace braid
