// The network registry (transports/network.h): each transport folder's row, and BRAID_NET read against them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "base/params.h"
#include "transports/network.h"

namespace braid {
namespace {

TEST(NetworkRegistry, RowsAreCompleteAndTheLastRunsEverywhere) {
  std::set<std::string> names;
  for (const Network* n : networks()) {
    SCOPED_TRACE(n->name);
    EXPECT_TRUE(n->preferred && n->currentName && n->unavailable && n->connect);
    EXPECT_TRUE(names.insert(n->name).second);
    for (const char* alias : n->aliases) EXPECT_TRUE(names.insert(alias).second) << alias;
  }
  EXPECT_EQ(networks().back(), &socketNetwork());
  EXPECT_TRUE(socketNetwork().preferred());
  EXPECT_EQ(socketNetwork().unavailable(), "");
}

TEST(NetworkRegistry, BraidNetAcceptsTheRowsNames) {
  const param::Parameter* net = param::find("NCCL_NET");
  ASSERT_NE(net, nullptr);
  unsetenv("BRAID_NET_PLUGIN");
  unsetenv("NCCL_NET_PLUGIN");
  for (const Network* n : networks()) {
    EXPECT_EQ(net->problemWith(n->name), "") << n->name;
    for (const char* alias : n->aliases) EXPECT_EQ(net->problemWith(alias), "") << alias;
  }
  EXPECT_EQ(net->problemWith("Socket"), "");  // NCCL's spelling
  EXPECT_EQ(net->problemWith("carrier-pigeon"),
            "expected plugin, ofi, socket (or the name of the plugin BRAID_NET_PLUGIN loads)");
  setenv("BRAID_NET_PLUGIN", "braid-example", 1);  // a plugin's own name is known only once it loads
  EXPECT_EQ(net->problemWith("braid-example"), "");
  unsetenv("BRAID_NET_PLUGIN");
}

}  // namespace
}  // namespace braid
