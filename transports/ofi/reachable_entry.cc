#include "transports/ofi/reachable_entry.h"

#include <arpa/inet.h>

#include <cstring>

namespace braid {
namespace {

// The IP address an fi_info's endpoint binds to, when its format has one.
bool ipAddressOf(const fi_info* info, SocketAddress* address) {
  if (!info->src_addr ||
      (info->addr_format != FI_SOCKADDR_IN && info->addr_format != FI_SOCKADDR_IN6 && info->addr_format != FI_SOCKADDR))
    return false;
  const auto* sa = static_cast<const sockaddr*>(info->src_addr);
  if (sa->sa_family == AF_INET && info->src_addrlen >= sizeof(sockaddr_in))
    std::memcpy(&address->v4, sa, sizeof(sockaddr_in));
  else if (sa->sa_family == AF_INET6 && info->src_addrlen >= sizeof(sockaddr_in6))
    std::memcpy(&address->v6, sa, sizeof(sockaddr_in6));
  else return false;
  return true;
}

bool sameHostAddress(const SocketAddress& a, const SocketAddress& b) {
  if (a.sa.sa_family != b.sa.sa_family) return false;
  return a.sa.sa_family == AF_INET ? a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr
                                   : std::memcmp(&a.v6.sin6_addr, &b.v6.sin6_addr, sizeof(in6_addr)) == 0;
}

bool isLoopback(const SocketAddress& a) {
  return a.sa.sa_family == AF_INET ? (ntohl(a.v4.sin_addr.s_addr) >> 24) == 127 : IN6_IS_ADDR_LOOPBACK(&a.v6.sin6_addr);
}

}  // namespace

const fi_info* reachableEntry(const fi_info* list, const SocketAddress& bootstrapAddress, std::string* why) {
  const char* provider = list->fabric_attr ? list->fabric_attr->prov_name : nullptr;
  const fi_info* firstElsewhere = nullptr;
  bool sawLoopback = false;
  for (const fi_info* i = list; i; i = i->next) {
    const char* name = i->fabric_attr ? i->fabric_attr->prov_name : nullptr;
    if ((provider && name && std::strcmp(provider, name) != 0) || (!provider) != (!name)) continue;
    SocketAddress address;
    if (!ipAddressOf(i, &address)) return list;  // a fabric without IP addresses: the provider knows best
    if (sameHostAddress(address, bootstrapAddress)) return i;
    if (isLoopback(address)) sawLoopback = true;
    else if (!firstElsewhere) firstElsewhere = i;
  }
  if (firstElsewhere || !sawLoopback || isLoopback(bootstrapAddress)) return firstElsewhere ? firstElsewhere : list;
  char host[INET6_ADDRSTRLEN] = "?";
  const void* ip = bootstrapAddress.sa.sa_family == AF_INET ? static_cast<const void*>(&bootstrapAddress.v4.sin_addr)
                                                            : static_cast<const void*>(&bootstrapAddress.v6.sin6_addr);
  ::inet_ntop(bootstrapAddress.sa.sa_family, ip, host, sizeof host);
  *why = std::string("libfabric's ") + (provider ? provider : "provider") +
         " offers only loopback addresses here, which ranks on other hosts cannot reach (the bootstrap uses " + host +
         "; FI_TCP_IFACE names the interface for tcp; or use BRAID_NET=socket)";
  return nullptr;
}

}  // namespace braid
