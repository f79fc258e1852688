#include "transports/network.h"

#include <algorithm>
#include <exception>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "base/text.h"

namespace braid {
namespace {

bool answersTo(const Network& n, const std::string& name) {
  if (name == n.name) return true;
  for (const char* alias : n.aliases)
    if (name == alias) return true;
  const char* current = n.currentName();
  return current && name == lowercase(current);
}

std::string knownNames() {
  std::string known;
  for (const Network* n : networks()) known += std::string(known.empty() ? "" : ", ") + n->name;
  return known + " (or the name of the plugin BRAID_NET_PLUGIN loads)";
}

// A name any row has, or (a plugin's own name is known only once it loads) anything when a plugin is named.
std::string checkNetworkName(const std::string& text) {
  const std::string name = lowercase(text);
  for (const Network* n : networks())
    if (name == n->name || std::find(n->aliases.begin(), n->aliases.end(), name) != n->aliases.end()) return "";
  if (param::find("BRAID_NET_PLUGIN")->setting()) return "";
  return "expected " + knownNames();
}

const param::Text kNet{"NET",
                       param::kNcclAlias,
                       "name",
                       "socket, ofi, plugin or the plugin's name",
                       checkNetworkName,
                       "carrier-pigeon",
                       "network between hosts (default: a plugin that loads, else libfabric with an RDMA provider, "
                       "else sockets)"};

// What this rank asks for: BRAID_NET's row, else the config's netName's, else the first that prefers itself.
const Network& wantedNetwork(const std::optional<std::string>& configured) {
  std::optional<std::string> requested = kNet.get();
  std::string asker = "BRAID_NET=";
  if (!requested && configured) requested = configured, asker = "config netName ";
  const std::vector<const Network*>& all = networks();
  if (!requested) return **std::find_if(all.begin(), all.end(), [](const Network* n) { return n->preferred(); });
  const std::string name = lowercase(*requested);
  for (const Network* n : all) {
    if (!answersTo(*n, name)) continue;
    // Asked for by name, so no quiet fallback.
    if (std::string why = n->unavailable(); !why.empty()) fail(ncclInvalidUsage, asker + *requested + ": " + why);
    return *n;
  }
  fail(ncclInvalidUsage, asker + *requested + " names no network that can run here; expected " + knownNames());
}

// Every rank proposes a row; a split vote falls back to the last row, which every host has. A rank that cannot
// have what it asked for still votes (-1) before it fails, so that the others fail at once too.
const Network& agreedNetwork(Bootstrap& bootstrap, const std::optional<std::string>& configured) {
  const std::vector<const Network*>& all = networks();
  std::vector<int8_t> votes(bootstrap.nranks());
  std::exception_ptr invalid;
  try {
    const Network& wanted = wantedNetwork(configured);
    votes[bootstrap.rank()] = static_cast<int8_t>(std::find(all.begin(), all.end(), &wanted) - all.begin());
  } catch (const Error&) {
    invalid = std::current_exception();
    votes[bootstrap.rank()] = -1;
  }
  bootstrap.allGather(votes.data(), 1);
  if (invalid) std::rethrow_exception(invalid);
  for (int r = 0; r < bootstrap.nranks(); ++r)
    if (votes[r] < 0 || votes[r] >= static_cast<int>(all.size()))
      fail(ncclInvalidUsage,
           "rank " + std::to_string(r) + " cannot use the network its BRAID_NET or config netName asks for");
  if (std::all_of(votes.begin(), votes.end(), [&](int8_t v) { return v == votes[0]; })) return *all[votes[0]];
  BRAID_WARN("NET", "ranks asked for different networks (BRAID_NET, libfabric providers, plugins): using %s",
             all.back()->description);
  return *all.back();
}

}  // namespace

const std::vector<const Network*>& networks() {
  static const std::vector<const Network*> rows = {&pluginNetwork(), &ofiNetwork(), &socketNetwork()};
  return rows;
}

void connectRemotePeers(NetworkContext& context, const std::vector<int>& remotePeers) {
  if (remotePeers.empty()) return;
  const Network& network = agreedNetwork(context.bootstrap, context.networkName);
  BRAID_INFO("NET", "rank %d: %zu peers on other hosts, over %s", context.bootstrap.rank(), remotePeers.size(),
             network.description);
  network.connect(context, remotePeers);
}

std::map<std::pair<int, int>, Socket> bootstrapConnections(Bootstrap& b, const std::vector<int>& peers, int channels) {
  std::map<std::pair<int, int>, Socket> sockets;
  size_t incoming = 0;
  for (int peer : peers) {
    if (peer > b.rank()) {
      for (int c = 0; c < channels; ++c) sockets[{peer, c}] = b.connectTo(peer, c);
    } else {
      incoming += channels;
    }
  }
  for (Bootstrap::Accepted& a : b.acceptFrom(incoming)) {
    if (a.channel >= channels || sockets.count({a.peer, a.channel}))
      fail(ncclSystemError, "rank " + std::to_string(a.peer) + " opened an unexpected connection");
    sockets[{a.peer, a.channel}] = std::move(a.socket);
  }
  return sockets;
}

}  // namespace braid
