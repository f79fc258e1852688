// ncclMemAlloc's shareable memory: where a buffer lies, and a peer's view of it through /proc/PID/fd (here the
// peer is this process, which maps its own allocation a second time). Mapping failures give nullptr, not throws.
// Registration's share(): private pages move into shared memory in place and back, keeping every byte; what
// cannot move safely (partial pages, files, other shared buffers) is refused with the reason.
#include "transports/shm/shared_buffers.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

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
  EXPECT_EQ(ref.address, reinterpret_cast<uintptr_t>(memory + 100));
  char heap[64];
  const SharedBufferRef privateRef = shared_buffers::find(heap, sizeof heap);
  EXPECT_FALSE(privateRef.shareable());
  // Where it lies still travels, for peers that reach it by cross-memory attach.
  EXPECT_EQ(privateRef.address, reinterpret_cast<uintptr_t>(heap));
  EXPECT_EQ(privateRef.pid, static_cast<int32_t>(::getpid()));
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

size_t pageBytes() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

char* privatePages(size_t pages, char fill) {
  void* p = ::mmap(nullptr, pages * pageBytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_NE(p, MAP_FAILED);
  std::memset(p, fill, pages * pageBytes());
  return static_cast<char*>(p);
}

TEST(SharedBuffers, SharedPagesKeepTheirAddressAndContentsAndGoBackPrivate) {
  const size_t bytes = 3 * pageBytes();
  char* buffer = privatePages(3, 5);
  buffer[bytes - 1] = 9;
  ASSERT_EQ(shared_buffers::share(buffer, bytes), "");
  EXPECT_EQ(buffer[0], 5);
  EXPECT_EQ(buffer[bytes - 1], 9);
  const SharedBufferRef ref = shared_buffers::find(buffer + 10, 100);
  ASSERT_TRUE(ref.shareable());
  EXPECT_EQ(ref.offset, 10u);
  PeerBufferMap peers(4);
  char* view = peers.resolve(1, ref);
  ASSERT_NE(view, nullptr);
  view[0] = 42;  // a peer's write lands in the buffer
  EXPECT_EQ(buffer[10], 42);
  EXPECT_FALSE(shared_buffers::release(buffer)) << "ncclMemFree must not free a registered buffer";
  EXPECT_EQ(shared_buffers::share(buffer + pageBytes(), 10), "") << "within a shared range: counted";
  shared_buffers::unshare(buffer + pageBytes(), 10);
  EXPECT_TRUE(shared_buffers::find(buffer, bytes).shareable()) << "one share still holds it";
  shared_buffers::unshare(buffer, bytes);
  EXPECT_FALSE(shared_buffers::find(buffer, bytes).shareable());
  EXPECT_EQ(buffer[10], 42);
  EXPECT_EQ(buffer[bytes - 1], 9);
  buffer[11] = 1;  // private again: the peer's old view no longer sees writes
  EXPECT_EQ(view[1], 5);
  ::munmap(buffer, bytes);
}

TEST(SharedBuffers, ShareRefusesWhatCannotMoveSafely) {
  const size_t page = pageBytes();
  char* pages = privatePages(2, 1);
  EXPECT_NE(shared_buffers::share(pages + 64, page).find("page boundaries"), std::string::npos);
  EXPECT_NE(shared_buffers::share(pages, page + 1).find("page boundaries"), std::string::npos);
  ::munmap(pages + page, page);
  EXPECT_NE(shared_buffers::share(pages, 2 * page).find("not mapped"), std::string::npos);
  char* memory = static_cast<char*>(shared_buffers::allocate(4 * page));
  EXPECT_EQ(shared_buffers::share(memory + page, page), "") << "ncclMemAlloc memory is shareable as it is";
  shared_buffers::unshare(memory + page, page);
  EXPECT_TRUE(shared_buffers::find(memory, 4 * page).shareable()) << "unshare leaves ncclMemAlloc memory alone";
  EXPECT_TRUE(shared_buffers::release(memory));
  char path[] = "/tmp/braid-share-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(page)), 0);
  void* file = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ASSERT_NE(file, MAP_FAILED);
  EXPECT_NE(shared_buffers::share(file, page).find("not private anonymous"), std::string::npos);
  ::munmap(file, page);
  ::close(fd);
  ::munmap(pages, page);
}

TEST(SharedBuffers, RangesOverlappingASharedOneAreRefused) {
  const size_t page = pageBytes();
  char* pages = privatePages(3, 2);
  ASSERT_EQ(shared_buffers::share(pages + page, page), "");
  EXPECT_NE(shared_buffers::share(pages, 2 * page).find("overlaps"), std::string::npos);
  EXPECT_NE(shared_buffers::share(pages + page, 2 * page).find("overlaps"), std::string::npos);
  shared_buffers::unshare(pages + page, page);
  EXPECT_EQ(shared_buffers::share(pages, 3 * page), "") << "free to move once unshared";
  shared_buffers::unshare(pages, 3 * page);
  EXPECT_EQ(pages[2 * page + 5], 2);
  ::munmap(pages, 3 * page);
}

}  // namespace
}  // namespace braid
