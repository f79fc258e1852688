// Which libfabric entry an endpoint uses (transports/ofi/reachable_entry.h): libfabric's tcp provider lists an
// entry per interface, loopback among them and sometimes first; an endpoint on loopback would hand peers on
// other hosts an address that points them at themselves. Entries are built here as fi_getinfo returns them.
#include "transports/ofi/reachable_entry.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

namespace braid {
namespace {

struct Entries {
  std::deque<fi_info> infos;
  std::deque<fi_fabric_attr> fabrics;
  std::deque<SocketAddress> addresses;

  // Appends an entry of `provider` bound to `ip` (no address when empty).
  fi_info* add(const char* provider, const std::string& ip) {
    fi_info& info = infos.emplace_back();
    fi_fabric_attr& fabric = fabrics.emplace_back();
    fabric.prov_name = const_cast<char*>(provider);
    info.fabric_attr = &fabric;
    if (!ip.empty()) {
      SocketAddress& a = addresses.emplace_back(SocketAddress::parse(ip + ":0"));
      info.addr_format = FI_SOCKADDR_IN;
      info.src_addr = &a.v4;
      info.src_addrlen = sizeof a.v4;
    }
    if (infos.size() > 1) infos[infos.size() - 2].next = &info;
    return &infos.front();
  }
};

TEST(OfiEntry, TheBootstrapsInterfaceWinsOverLoopbackListedFirst) {
  Entries e;
  e.add("tcp;ofi_rxm", "127.0.0.1");
  e.add("tcp;ofi_rxm", "10.0.0.2");
  fi_info* list = e.add("tcp;ofi_rxm", "10.0.0.1");
  std::string why;
  EXPECT_EQ(reachableEntry(list, SocketAddress::parse("10.0.0.1:29500"), &why), &e.infos[2]);
  // No entry on the bootstrap's address: the first one elsewhere than loopback.
  EXPECT_EQ(reachableEntry(list, SocketAddress::parse("192.168.1.1:29500"), &why), &e.infos[1]);
}

TEST(OfiEntry, OnlyLoopbackIsAnErrorUnlessTheBootstrapIsOnLoopbackToo) {
  Entries e;
  fi_info* list = e.add("tcp;ofi_rxm", "127.0.0.1");
  std::string why;
  EXPECT_EQ(reachableEntry(list, SocketAddress::parse("10.0.0.1:29500"), &why), nullptr);
  EXPECT_NE(why.find("only loopback"), std::string::npos) << why;
  EXPECT_NE(why.find("10.0.0.1"), std::string::npos) << why;
  EXPECT_EQ(reachableEntry(list, SocketAddress::parse("127.0.0.1:29500"), &why), list);
}

TEST(OfiEntry, OtherProvidersAndAddresslessFabricsAreLeftAlone) {
  Entries e;
  e.add("tcp;ofi_rxm", "127.0.0.1");
  fi_info* list = e.add("shm", "10.0.0.1");  // another provider's entry is never taken
  std::string why;
  EXPECT_EQ(reachableEntry(list, SocketAddress::parse("10.0.0.1:29500"), &why), nullptr);
  Entries addressless;
  fi_info* shm = addressless.add("shm", "");
  EXPECT_EQ(reachableEntry(shm, SocketAddress::parse("10.0.0.1:29500"), &why), shm);
}

}  // namespace
}  // namespace braid
