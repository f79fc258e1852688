// Collectives on device memory over real forked ranks that share GPU 0 (which NCCL refuses): every collective,
// in and out of place, on a CUDA stream and on the NULL stream, over shared memory and sockets; every element
// is checked after the stream is synchronized. Skips, saying so, where no GPU is visible.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include <cstring>
#include <string>
#include <vector>

#include "collperf_collectives.h"
#include "device/datatype.h"
#include "device/device.h"
#include "fork_ranks.h"
#include "wiring.h"

namespace braid {
namespace {

using collperf::Collective;

// CUDA must not be initialized before fork, so a probe child looks for the GPU.
bool gpuVisible() {
  pid_t pid = fork();
  if (pid == 0) _exit(device::acceleratorsAvailable() ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int onDevice(int rank, int nranks, const ncclUniqueId& id, testing::Wiring wiring) {
  int problems = 0;
  testing::useWiring(wiring, rank);
  RANK_EXPECT(cudaSetDevice(0) == cudaSuccess, "cudaSetDevice");
  cudaStream_t stream;
  RANK_EXPECT(cudaStreamCreate(&stream) == cudaSuccess, "cudaStreamCreate");
  ncclComm_t comm;
  if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return problems + 1;
  for (int ci = 0; ci < 9; ++ci) {
    const auto c = static_cast<Collective>(ci);
    for (cudaStream_t s : {stream, static_cast<cudaStream_t>(nullptr)})
      for (bool inPlace : {false, true}) {
        if (inPlace && !collperf::hasInPlace(c)) continue;
        const ncclDataType_t type = ncclFloat32;
        const collperf::RowShape shape = collperf::rowShape(c, (1 << 20) + 12, dataTypeSize(type), nranks);
        const size_t sendBytes = shape.sendElems * 4 + 8, recvBytes = shape.recvElems * 4 + 8;
        std::vector<char> send(sendBytes), recv(recvBytes);
        void *deviceSend = nullptr, *deviceRecv = nullptr;
        RANK_EXPECT(
            cudaMalloc(&deviceSend, sendBytes) == cudaSuccess && cudaMalloc(&deviceRecv, recvBytes) == cudaSuccess,
            "cudaMalloc");
        collperf::CallContext host{c,       comm,  rank,        nranks,      nranks - 1, type,   reference::TestOp::Sum,
                                   ncclSum, shape, send.data(), recv.data(), inPlace,    nullptr};
        collperf::CallContext device = host;
        device.send = static_cast<char*>(deviceSend);
        device.recv = static_cast<char*>(deviceRecv);
        device.stream = s;
        collperf::fillInputs(host);
        cudaMemcpy(deviceSend, send.data(), sendBytes, cudaMemcpyHostToDevice);
        cudaMemcpy(deviceRecv, recv.data(), recvBytes, cudaMemcpyHostToDevice);
        ncclResult_t r = collperf::launch(device);
        RANK_EXPECT(r == ncclSuccess, "collective %d: %s", ci, ncclGetLastError(comm));
        RANK_EXPECT(cudaStreamSynchronize(s) == cudaSuccess, "cudaStreamSynchronize");
        ncclResult_t async;
        ncclCommGetAsyncError(comm, &async);
        RANK_EXPECT(async == ncclSuccess, "collective %d failed on the stream: %s", ci, ncclGetLastError(comm));
        cudaMemcpy(recv.data(), deviceRecv, recvBytes, cudaMemcpyDeviceToHost);
        if (inPlace) cudaMemcpy(send.data(), deviceSend, sendBytes, cudaMemcpyDeviceToHost);
        const size_t wrong = collperf::countWrong(host);
        RANK_EXPECT(wrong == 0, "collective %d%s%s: %zu wrong elements", ci, inPlace ? " in place" : "",
                    s ? "" : " (NULL stream)", wrong);
        cudaFree(deviceSend);
        cudaFree(deviceRecv);
      }
  }
  RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
  cudaStreamDestroy(stream);
  return problems;
}

class DeviceBuffers : public ::testing::TestWithParam<testing::Wiring> {};

TEST_P(DeviceBuffers, EveryCollectiveOnRanksSharingOneGpu) {
  if (!gpuVisible()) GTEST_SKIP() << "no CUDA device visible: the device-buffer path needs a GPU";
  const testing::Wiring wiring = GetParam();
  for (int nranks : {2, 3}) {
    std::string failures = testing::forkRanks(
        nranks, [wiring](int rank, int n, const ncclUniqueId& id) { return onDevice(rank, n, id, wiring); }, 300);
    EXPECT_EQ(failures, "") << nranks << " ranks";
  }
}

// ncclMemAlloc gives memory of the current GPU, as NCCL's does; collectives take it, ncclMemFree gives it back.
TEST(DeviceBuffers, MemAllocGivesMemoryOfTheCurrentGpu) {
  if (!gpuVisible()) GTEST_SKIP() << "no CUDA device visible: ncclMemAlloc gives host memory there";
  std::string failures = testing::forkRanks(2, [](int rank, int nranks, const ncclUniqueId& id) {
    int problems = 0;
    RANK_EXPECT(cudaSetDevice(0) == cudaSuccess, "cudaSetDevice");
    ncclComm_t comm;
    if (ncclCommInitRank(&comm, nranks, id, rank) != ncclSuccess) return 1;
    const size_t count = 1 << 18;
    void* buffer = nullptr;
    RANK_EXPECT(ncclMemAlloc(&buffer, count * sizeof(float)) == ncclSuccess, "ncclMemAlloc");
    cudaPointerAttributes attributes{};
    RANK_EXPECT(cudaPointerGetAttributes(&attributes, buffer) == cudaSuccess &&
                    attributes.type == cudaMemoryTypeDevice && attributes.device == 0,
                "not memory of GPU 0 (type %d)", static_cast<int>(attributes.type));
    std::vector<float> values(count, static_cast<float>(rank + 1));
    cudaMemcpy(buffer, values.data(), count * sizeof(float), cudaMemcpyHostToDevice);
    RANK_EXPECT(ncclAllReduce(buffer, buffer, count, ncclFloat32, ncclSum, comm, nullptr) == ncclSuccess,
                "AllReduce: %s", ncclGetLastError(comm));
    cudaMemcpy(values.data(), buffer, count * sizeof(float), cudaMemcpyDeviceToHost);
    size_t wrong = 0;
    for (float v : values) wrong += v != 3.0f;
    RANK_EXPECT(wrong == 0, "%zu wrong elements", wrong);
    RANK_EXPECT(ncclMemFree(buffer) == ncclSuccess, "ncclMemFree");
    RANK_EXPECT(ncclCommDestroy(comm) == ncclSuccess, "destroy");
    return problems;
  });
  EXPECT_EQ(failures, "");
}

INSTANTIATE_TEST_SUITE_P(Wirings, DeviceBuffers,
                         ::testing::Values(testing::Wiring::SharedMemory, testing::Wiring::Sockets),
                         [](const ::testing::TestParamInfo<testing::Wiring>& info) {
                           return testing::wiringName(info.param);
                         });

}  // namespace
}  // namespace braid
