// ncclMemAlloc's shareable memory: where a buffer lies, and a peer's view of it through /proc/PID/fd (here the
// peer is this process, which maps its own allocation a second time). Mapping failures give nullptr, not throws.
#include "transports/shared_buffers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

namespace braid {
namespace {

TEST(SharedBuffers, FindDescribesOnlyRangesInsideOneAllocation) {
  char* memory = static_cast<char*>(shared_buffers::allocate(10000));
  const SharedBufferRef ref = shared_buffers::find(memory + 100, 900);
  EXPECT_TRUE(ref.shareable());
  EXPECT_EQ(ref.offset, 100u);
  EXPECT_EQ(ref.allocationBytes, 10000u);
  EXPECT_EQ(ref.pid, static_cast<int32_t>(::getpid()));
  EXPECT_FALSE(shared_buffers::find(memory + 9000, 1001).shareable()) << "runs past the end";
  char heap[64];
  EXPECT_FALSE(shared_buffers::find(heap, sizeof heap).shareable());
  EXPECT_TRUE(shared_buffers::release(memory));
  EXPECT_FALSE(shared_buffers::release(memory)) << "released twice";
  EXPECT_FALSE(shared_buffers::find(memory, 1).shareable()) << "released memory is no longer described";
}

TEST(SharedBuffers, PeerMapsTheSamePagesAndFailsCleanly) {
  char* memory = static_cast<char*>(shared_buffers::allocate(8192));
  std::memset(memory, 7, 8192);
  PeerBufferMap peers(4);
  const SharedBufferRef ref = shared_buffers::find(memory + 4096, 16);
  char* view = peers.resolve(1, ref);
  ASSERT_NE(view, nullptr);
  EXPECT_NE(view, memory + 4096) << "a second mapping";
  EXPECT_EQ(view[0], 7);
  view[1] = 42;  // the same pages
  EXPECT_EQ(memory[4097], 42);
  SharedBufferRef wrongSize = ref;
  wrongSize.allocation += 1000;  // another allocation id, so not the cached mapping
  wrongSize.allocationBytes = 12345;
  EXPECT_EQ(peers.resolve(1, wrongSize), nullptr);
  SharedBufferRef gone = ref;
  gone.allocation += 2000;
  gone.fd = 100000;  // no such descriptor
  EXPECT_EQ(peers.resolve(1, gone), nullptr);
  EXPECT_TRUE(shared_buffers::release(memory));
}

}  // namespace
}  // namespace braid
