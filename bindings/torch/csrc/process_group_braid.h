// The "braid" backend of torch.distributed: every c10d operation on CPU tensors, run on a Braid communicator
// and host stream, so the Python thread only queues work. The communicator is created from the c10d Store
// that torch gives the backend (rank 0 publishes the unique id there).
#pragma once

#include <chrono>
#include <memory>

#include <torch/version.h>
#include <torch/csrc/distributed/c10d/Store.hpp>

#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif

#include "braid_work.h"
#include "op_queue.h"

namespace torch_braid {

#if TORCH_VERSION_MAJOR >= 2
using BackendBase = c10d::Backend;
#else
using BackendBase = c10d::ProcessGroup;
#endif

class Staging;

class ProcessGroupBraid : public BackendBase {
 public:
  ProcessGroupBraid(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                    std::chrono::milliseconds timeout);
  // Over a communicator that already exists (one ncclCommSplit or ncclCommShrink made); takes ownership of it.
  // `store` (may be null) serves monitoredBarrier.
  ProcessGroupBraid(ncclComm_t comm, std::chrono::milliseconds timeout, c10::intrusive_ptr<c10d::Store> store = {});
  ~ProcessGroupBraid() override;

  const std::string getBackendName() const override { return "braid"; }

  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& tensors,
                                           const c10d::BroadcastOptions& opts = c10d::BroadcastOptions()) override;
  c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& tensors,
                                           const c10d::AllreduceOptions& opts = c10d::AllreduceOptions()) override;
  c10::intrusive_ptr<c10d::Work> allreduce_coalesced(
      std::vector<at::Tensor>& tensors,
      const c10d::AllreduceCoalescedOptions& opts = c10d::AllreduceCoalescedOptions()) override;
  c10::intrusive_ptr<c10d::Work> reduce(std::vector<at::Tensor>& tensors,
                                        const c10d::ReduceOptions& opts = c10d::ReduceOptions()) override;
  c10::intrusive_ptr<c10d::Work> allgather(std::vector<std::vector<at::Tensor>>& outputs,
                                           std::vector<at::Tensor>& inputs,
                                           const c10d::AllgatherOptions& opts = c10d::AllgatherOptions()) override;
  c10::intrusive_ptr<c10d::Work> _allgather_base(
      at::Tensor& output, at::Tensor& input, const c10d::AllgatherOptions& opts = c10d::AllgatherOptions()) override;
  c10::intrusive_ptr<c10d::Work> allgather_coalesced(
      std::vector<std::vector<at::Tensor>>& outputLists, std::vector<at::Tensor>& inputs,
      const c10d::AllgatherOptions& opts = c10d::AllgatherOptions()) override;
  c10::intrusive_ptr<c10d::Work> gather(std::vector<std::vector<at::Tensor>>& outputs, std::vector<at::Tensor>& inputs,
                                        const c10d::GatherOptions& opts = c10d::GatherOptions()) override;
  c10::intrusive_ptr<c10d::Work> scatter(std::vector<at::Tensor>& outputs, std::vector<std::vector<at::Tensor>>& inputs,
                                         const c10d::ScatterOptions& opts = c10d::ScatterOptions()) override;
  c10::intrusive_ptr<c10d::Work> reduce_scatter(
      std::vector<at::Tensor>& outputs, std::vector<std::vector<at::Tensor>>& inputs,
      const c10d::ReduceScatterOptions& opts = c10d::ReduceScatterOptions()) override;
  c10::intrusive_ptr<c10d::Work> _reduce_scatter_base(
      at::Tensor& output, at::Tensor& input,
      const c10d::ReduceScatterOptions& opts = c10d::ReduceScatterOptions()) override;
  c10::intrusive_ptr<c10d::Work> alltoall_base(at::Tensor& output, at::Tensor& input,
                                               std::vector<int64_t>& outputSplits, std::vector<int64_t>& inputSplits,
                                               const c10d::AllToAllOptions& opts = c10d::AllToAllOptions()) override;
  c10::intrusive_ptr<c10d::Work> alltoall(std::vector<at::Tensor>& outputs, std::vector<at::Tensor>& inputs,
                                          const c10d::AllToAllOptions& opts = c10d::AllToAllOptions()) override;
  c10::intrusive_ptr<c10d::Work> send(std::vector<at::Tensor>& tensors, int dstRank, int tag) override;
  c10::intrusive_ptr<c10d::Work> recv(std::vector<at::Tensor>& tensors, int srcRank, int tag) override;
  c10::intrusive_ptr<c10d::Work> recvAnysource(std::vector<at::Tensor>& tensors, int tag) override;
  c10::intrusive_ptr<c10d::Work> barrier(const c10d::BarrierOptions& opts = c10d::BarrierOptions()) override;

  // The group of the ranks not in `excludeRanks`, numbered in their order, over ncclCommShrink; every rank not
  // excluded calls it with the same list. With NCCL_SHRINK_ABORT (torch_braid.shrink's) this group's communicator
  // is revoked first, so operations under way fail at once and dead ranks are never waited for; this group is
  // then only good for being dropped. NCCL_SHRINK_DEFAULT waits for this group's operations first.
  c10::intrusive_ptr<ProcessGroupBraid> shrinkGroup(const std::vector<int64_t>& excludeRanks, int flags);
  // torch_braid.failed_ranks: the ranks whose process does not answer within `seconds` (braidCommFailedRanks).
  std::vector<int64_t> failedRanks(double seconds) const;

  // As Gloo's, which torch's tests and users know: rank 0 names the ranks that did not arrive within the timeout;
  // the others learn whether rank 0 let them pass. It goes through the group's c10d store, not the communicator,
  // so a rank that is stuck in a collective is named rather than waited for. (A group made by shrink has no store.)
  void monitoredBarrier(const c10d::BarrierOptions& opts, bool waitAllRanks = false) override;
  // Numbers this group's collectives from 0 on every rank (torch's debug wrapper compares them between ranks).
  void setSequenceNumberForGroup() override { sequenceNumber_ = 0; }
  uint64_t getSequenceNumberForGroup() override { return sequenceNumber_; }

  void startCoalescing() override;
#if TORCH_VERSION_MAJOR >= 2
  c10::intrusive_ptr<c10d::Work> endCoalescing() override;
  bool supportsCoalescing() const override { return true; }

  // split_group, new_subgroups and DeviceMesh: an ncclCommSplit of this group's communicator, called by every rank
  // of this group; a rank not in `ranks` takes part without a color and gets no group (nullptr).
  bool supportsSplitting() const override { return true; }
  c10::intrusive_ptr<c10d::Backend> split(const c10::intrusive_ptr<c10d::Store>& store, const std::vector<int>& ranks,
                                          const c10::intrusive_ptr<Options>& opts) override;
  // torch.distributed.shrink_group.
  bool supportsShrinking() const override { return true; }
  c10::intrusive_ptr<c10d::Backend> shrink(const std::vector<int64_t>& ranksToExclude, int shrinkFlags,
                                           const c10::intrusive_ptr<Options>& opts) override;
  c10::intrusive_ptr<Options> getBackendOptions() override { return options_; }
  // Later operations wait for their peers at most this long without progress (ones already queued keep theirs).
  void setTimeout(std::chrono::milliseconds timeout) override;
  // abort: operations under way fail at once and the communicator is aborted; shutdown: they finish first and
  // the communicator is destroyed. Either way later operations fail, naming which of the two ended the group.
  void abort() override;
  void shutdown() override;
  // Several _allgather_base / _reduce_scatter_base pairs as one Braid group (FSDP2 and DTensor issue these).
  c10::intrusive_ptr<c10d::Work> allgather_into_tensor_coalesced(
      std::vector<at::Tensor>& outputs, std::vector<at::Tensor>& inputs,
      const c10d::AllgatherOptions& opts = c10d::AllgatherOptions()) override;
  c10::intrusive_ptr<c10d::Work> reduce_scatter_tensor_coalesced(
      std::vector<at::Tensor>& outputs, std::vector<at::Tensor>& inputs,
      const c10d::ReduceScatterOptions& opts = c10d::ReduceScatterOptions()) override;
  // gather into one flat tensor on the root.
  c10::intrusive_ptr<c10d::Work> gather_into_tensor(at::Tensor& output, at::Tensor& input,
                                                    const c10d::GatherOptions& opts = c10d::GatherOptions()) override;
  c10::intrusive_ptr<c10d::Work> allreduce_sparse(
      std::vector<at::Tensor>& tensors, const c10d::AllreduceOptions& opts = c10d::AllreduceOptions()) override;
#else
  void endCoalescing(std::vector<c10::intrusive_ptr<c10d::Work>>& works) override;
#endif

 private:
  c10::intrusive_ptr<c10d::Work> submit(c10d::OpType type, const char* name, std::vector<at::Tensor> outputs,
                                        Staging& staging, OpQueue::Issue issue,
                                        OpQueue::Kind kind = OpQueue::Kind::Collective,
                                        std::chrono::milliseconds timeout = c10d::kUnsetTimeout);
  // SUM of sparse COO tensors, as Gloo does it: every rank's indices and values gathered, added up and coalesced.
  // It waits for its steps, so its Work is complete when it returns.
  c10::intrusive_ptr<c10d::Work> sparseAllreduce(at::Tensor& t, const c10d::AllreduceOptions& opts);
  void checkRank(int rank, const char* what, const char* op) const;

  std::shared_ptr<OpQueue> queue_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  uint64_t sequenceNumber_ = 0;           // collectives submitted
  uint64_t monitoredBarriersCalled_ = 0;  // names each barrier's keys in the store
#if TORCH_VERSION_MAJOR >= 2
  c10::intrusive_ptr<Options> options_;
#endif
};

// The creator registered with torch.distributed.Backend.register_backend.
c10::intrusive_ptr<ProcessGroupBraid> createProcessGroupBraid(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                              int size, std::chrono::duration<float> timeout);

}  // namespace torch_braid
