// Bootstrap hardening: strangers at the root's address (silence, garbage, partial hellos, floods, ranks of
// another job) neither delay nor disturb the ranks that are joining.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "bootstrap/unique_id.h"
#include "fork_ranks.h"
#include "nccl.h"

namespace braid {
namespace {

int connectRaw(const SocketAddress& address) {
  int fd = ::socket(address.sa.sa_family, SOCK_STREAM, 0);
  if (fd >= 0 && ::connect(fd, &address.sa, address.length()) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(Bootstrap, StrangersDoNotDisturbJoiningRanks) {
  ncclUniqueId id;
  ASSERT_EQ(ncclGetUniqueId(&id), ncclSuccess);
  const UniqueIdContents contents = decodeUniqueId(id);
  std::vector<int> held;  // connections kept open (silent or half-spoken) for the whole join

  held.push_back(connectRaw(contents.root));  // says nothing
  int garbage = connectRaw(contents.root);
  std::vector<char> junk(1 << 20, '\x5a');  // a flood of bytes that is no hello
  ASSERT_GT(::send(garbage, junk.data(), junk.size(), MSG_NOSIGNAL | MSG_DONTWAIT), 0);
  held.push_back(garbage);
  int partial = connectRaw(contents.root);
  const uint32_t magic = 0x44415242;
  ASSERT_EQ(::send(partial, &magic, sizeof magic, MSG_NOSIGNAL), 4);  // the start of a hello, then silence
  held.push_back(partial);

  // A rank of another job (right address, wrong secret) gets a clear error at once, while the silent and
  // half-spoken connections above are still pending at the root.
  UniqueIdContents other = contents;
  other.secret ^= 0x1234;
  const ncclUniqueId foreign = encodeUniqueId(other);
  ncclComm_t comm;
  auto foreignStart = std::chrono::steady_clock::now();
  EXPECT_EQ(ncclCommInitRank(&comm, 3, foreign, 0), ncclInvalidUsage);
  std::string foreignMessage = ncclGetLastError(nullptr);
  EXPECT_NE(foreignMessage.find("another job"), std::string::npos) << foreignMessage;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - foreignStart).count(), 1.0);

  auto start = std::chrono::steady_clock::now();
  std::string failures = testing::forkRanksWithId(
      id, 3,
      [](int rank, int nranks, const ncclUniqueId& id) {
        int problems = 0;
        ncclComm_t comm;
        RANK_EXPECT(ncclCommInitRank(&comm, nranks, id, rank) == ncclSuccess, "init: %s", ncclGetLastError(nullptr));
        int v = 1;
        RANK_EXPECT(ncclAllReduce(&v, &v, 1, ncclInt32, ncclSum, comm, nullptr) == ncclSuccess, "AllReduce");
        RANK_EXPECT(v == 3, "AllReduce gave %d", v);
        ncclCommDestroy(comm);
        return problems;
      },
      60);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int fd : held) ::close(fd);

  EXPECT_EQ(failures, "");
  // The root gives each stranger 5 s to introduce itself; the ranks must not wait for that.
  EXPECT_LT(seconds, 3.0);
}

}  // namespace
}  // namespace braid
