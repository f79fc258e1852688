// Socket::connectTo on a port nobody listens on: a root that may still start is retried, and the caller can stop
// the retries (a split's members stop once they know the member hosting the root has gone).
#include "base/socket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "base/error.h"

namespace braid {
namespace {

// A loopback address whose port was just given up: connections to it are refused.
SocketAddress refusingAddress() {
  SocketAddress address = SocketAddress::parse("127.0.0.1:0");
  Socket listener = Socket::listenOn(address);
  return address;  // the listener closes here
}

TEST(Socket, RefusedConnectionsRetryUntilTheCallerGivesUp) {
  const SocketAddress address = refusingAddress();
  int retries = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    Socket::connectTo(address, deadlineAfter(30), /*listenerMayStart=*/true, [&] {
      if (++retries == 3) fail(ncclRemoteError, "the member hosting the root has gone");
    });
    ADD_FAILURE() << "connected to a port nobody listens on";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ncclRemoteError);
    EXPECT_STREQ(e.what(), "the member hosting the root has gone");
  }
  EXPECT_EQ(retries, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // not the 30 s deadline
}

TEST(Socket, ARefusalFromAListenerThatWasUpFailsAtOnce) {
  const SocketAddress address = refusingAddress();
  int retries = 0;
  try {
    Socket::connectTo(address, deadlineAfter(30), /*listenerMayStart=*/false, [&] { ++retries; });
    ADD_FAILURE() << "connected to a port nobody listens on";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ncclRemoteError);
    EXPECT_NE(std::string(e.what()).find("its process exited"), std::string::npos) << e.what();
  }
  EXPECT_EQ(retries, 0);
}

}  // namespace
}  // namespace braid
