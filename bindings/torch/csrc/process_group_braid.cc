#include "process_group_braid.h"

#include <pybind11/pybind11.h>

#include <cstdlib>
#include <cstring>
#include <numeric>
#include <utility>

#include "gil.h"
#include "tensor_types.h"

namespace torch_braid {

// Braid reads and writes contiguous buffers. Staging hands it the caller's tensor when that is already
// contiguous, or a contiguous stand-in whose result is copied back once the operation completes.
class Staging {
 public:
  // A buffer holding `t`'s values, into which the result for `t` goes.
  at::Tensor inPlace(const at::Tensor& t) {
    if (t.is_contiguous()) return t;
    at::Tensor staged = t.contiguous();
    copies_.push_back({t, staged});
    return staged;
  }
  // A buffer for a result that goes into `t`.
  at::Tensor output(const at::Tensor& t) {
    if (t.is_contiguous()) return t;
    at::Tensor staged = at::empty(t.sizes(), t.options());
    copies_.push_back({t, staged});
    return staged;
  }
  // A flat buffer for results that go, one after another, into `targets`.
  at::Tensor outputs(const std::vector<at::Tensor>& targets, const at::Tensor& like) {
    int64_t total = 0;
    for (const at::Tensor& t : targets) total += t.numel();
    at::Tensor flat = at::empty({total}, like.options());
    int64_t offset = 0;
    for (const at::Tensor& t : targets) {
      copies_.push_back({t, flat.narrow(0, offset, t.numel()).view(t.sizes())});
      offset += t.numel();
    }
    return flat;
  }
  // The values of `sources`, one after another, in one flat buffer.
  static at::Tensor concatenated(const std::vector<at::Tensor>& sources) {
    std::vector<at::Tensor> flat;
    for (const at::Tensor& t : sources) flat.push_back(t.reshape({-1}));
    return at::cat(flat);
  }

  std::function<void()> copyBack() {
    if (copies_.empty()) return {};
    return [copies = std::move(copies_)]() mutable {
      for (auto& [target, staged] : copies) target.copy_(staged);
    };
  }

 private:
  std::vector<std::pair<at::Tensor, at::Tensor>> copies_;  // (caller's tensor, staged result)
};

namespace {

constexpr const char* kUniqueIdKey = "braid_unique_id";

ncclComm_t joinCommunicator(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size) {
  ncclUniqueId id;
  if (rank == 0) {
    TORCH_CHECK(ncclGetUniqueId(&id) == ncclSuccess, "braid: cannot create a unique id: ", ncclGetLastError(nullptr));
    const auto* bytes = reinterpret_cast<const uint8_t*>(&id);
    store->set(kUniqueIdKey, std::vector<uint8_t>(bytes, bytes + sizeof(id)));
  } else {
    std::vector<uint8_t> bytes = store->get(kUniqueIdKey);
    TORCH_CHECK(bytes.size() == sizeof(id), "braid: the store holds a unique id of ", bytes.size(), " bytes where ",
                sizeof(id), " are expected");
    std::memcpy(&id, bytes.data(), sizeof(id));
  }
  ncclComm_t comm = nullptr;
  TORCH_CHECK(ncclCommInitRank(&comm, size, id, rank) == ncclSuccess, "braid: rank ", rank, " of ", size,
              " could not join the communicator: ", ncclGetLastError(nullptr));
  return comm;
}

size_t count(const at::Tensor& t) { return static_cast<size_t>(t.numel()); }

int rankIn(ncclComm_t comm) {
  int rank = -1;
  ncclCommUserRank(comm, &rank);
  return rank;
}

int sizeOf(ncclComm_t comm) {
  int size = 0;
  ncclCommCount(comm, &size);
  return size;
}

}  // namespace

ProcessGroupBraid::ProcessGroupBraid(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                     std::chrono::milliseconds timeout)
    : ProcessGroupBraid(joinCommunicator(store, rank, size), timeout, store) {}

ProcessGroupBraid::ProcessGroupBraid(ncclComm_t comm, std::chrono::milliseconds timeout,
                                     c10::intrusive_ptr<c10d::Store> store)
    : BackendBase(rankIn(comm), sizeOf(comm)), timeout_(timeout), store_(std::move(store)) {
#if TORCH_VERSION_MAJOR >= 2
  options_ = c10::make_intrusive<Options>("braid", timeout);
#endif
  braidStream_t stream = nullptr;
  if (braidStreamCreate(&stream) != ncclSuccess) {
    ncclCommDestroy(comm);
    TORCH_CHECK(false, "braid: cannot create a host stream: ", ncclGetLastError(nullptr));
  }
  queue_ = std::make_shared<OpQueue>(comm, stream, std::chrono::duration<double>(timeout).count());
  // Ranks that disagree about a collective get an error naming the difference rather than a hang or wrong
  // data; BRAID_CHECK_COLLECTIVES=0 turns the check off.
  if (!std::getenv("BRAID_CHECK_COLLECTIVES")) queue_->check(braidCommSetCheckCollectives(comm, 1));
}

ProcessGroupBraid::~ProcessGroupBraid() {
  withoutGil([this] { queue_.reset(); });
}

c10::intrusive_ptr<ProcessGroupBraid> ProcessGroupBraid::shrinkGroup(const std::vector<int64_t>& excludeRanks,
                                                                     int flags) {
  TORCH_CHECK(flags == NCCL_SHRINK_DEFAULT || flags == NCCL_SHRINK_ABORT, "braid shrink: flags must be ",
              NCCL_SHRINK_DEFAULT, " (SHRINK_DEFAULT) or ", NCCL_SHRINK_ABORT, " (SHRINK_ABORT), got ", flags);
  std::vector<int> excluded;
  for (int64_t r : excludeRanks) {
    checkRank(static_cast<int>(r), "excluded rank", "shrink");
    excluded.push_back(static_cast<int>(r));
  }
  ncclComm_t comm = queue_->comm();
  ncclComm_t smaller = nullptr;
  ncclResult_t result = ncclSuccess;
  withoutGil([&] {
    if (flags == NCCL_SHRINK_ABORT) {
      result = ncclCommRevoke(comm, NCCL_REVOKE_DEFAULT);
    } else {
      queue_->flush();
      result = queue_->synchronize();
    }
    if (result == ncclSuccess)
      result = ncclCommShrink(comm, excluded.data(), static_cast<int>(excluded.size()), &smaller, nullptr, flags);
  });
  TORCH_CHECK(result == ncclSuccess, "braid shrink: ", ncclGetLastError(comm));
  return c10::make_intrusive<ProcessGroupBraid>(smaller, timeout_);
}

#if TORCH_VERSION_MAJOR >= 2
c10::intrusive_ptr<c10d::Backend> ProcessGroupBraid::shrink(const std::vector<int64_t>& ranksToExclude, int shrinkFlags,
                                                            const c10::intrusive_ptr<Options>&) {
  return shrinkGroup(ranksToExclude, shrinkFlags);
}

c10::intrusive_ptr<c10d::Backend> ProcessGroupBraid::split(const c10::intrusive_ptr<c10d::Store>& store,
                                                           const std::vector<int>& ranks,
                                                           const c10::intrusive_ptr<Options>& opts) {
  // Groups that torch splits off at once are disjoint, so each one's lowest rank tells it apart; the order of
  // `ranks` is the new numbering.
  const auto position = std::find(ranks.begin(), ranks.end(), getRank());
  const bool member = position != ranks.end();
  const int color = member ? *std::min_element(ranks.begin(), ranks.end()) : NCCL_SPLIT_NOCOLOR;
  const int key = member ? static_cast<int>(position - ranks.begin()) : 0;
  for (int r : ranks) checkRank(r, "rank", "split");
  ncclComm_t parent = queue_->comm();
  ncclComm_t child = nullptr;
  ncclResult_t result = ncclSuccess;
  withoutGil([&] { result = ncclCommSplit(parent, color, key, &child, nullptr); });
  TORCH_CHECK(result == ncclSuccess, "braid split: ", ncclGetLastError(parent));
  if (!member) return nullptr;
  auto group = c10::make_intrusive<ProcessGroupBraid>(child, opts ? opts->timeout : timeout_, store);
  if (opts) group->options_ = opts;
  return group;
}

void ProcessGroupBraid::setTimeout(std::chrono::milliseconds timeout) {
  timeout_ = timeout;
  options_->timeout = timeout;
  queue_->setDefaultTimeout(std::chrono::duration<double>(timeout).count());
}

void ProcessGroupBraid::abort() {
  withoutGil([this] { queue_->close(OpQueue::Closing::Abort); });
}

void ProcessGroupBraid::shutdown() {
  withoutGil([this] { queue_->close(OpQueue::Closing::Finish); });
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::allreduce_sparse(std::vector<at::Tensor>& tensors,
                                                                   const c10d::AllreduceOptions& opts) {
  TORCH_CHECK(tensors.size() == 1, "braid allreduce_sparse: expects one tensor per process, got ", tensors.size());
  return sparseAllreduce(tensors[0], opts);
}
#endif

std::vector<int64_t> ProcessGroupBraid::failedRanks(double seconds) const {
  std::vector<int> ranks(static_cast<size_t>(getSize()));
  int count = 0;
  TORCH_CHECK(braidCommFailedRanks(queue_->comm(), seconds, ranks.data(), &count) == ncclSuccess,
              "braid failed_ranks: ", ncclGetLastError(queue_->comm()));
  return std::vector<int64_t>(ranks.begin(), ranks.begin() + count);
}

void ProcessGroupBraid::checkRank(int rank, const char* what, const char* op) const {
  TORCH_CHECK(rank >= 0 && rank < getSize(), "braid ", op, ": ", what, " ", rank, " is not in [0, ", getSize(), ")");
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::submit(c10d::OpType type, const char* name,
                                                         std::vector<at::Tensor> outputs, Staging& staging,
                                                         OpQueue::Issue issue, OpQueue::Kind kind,
                                                         std::chrono::milliseconds timeout) {
  auto work = c10::make_intrusive<WorkBraid>(getRank(), type, name, std::move(outputs));
  work->setCopyBack(staging.copyBack());
  if (kind == OpQueue::Kind::Collective) ++sequenceNumber_;
  const double seconds = timeout == c10d::kUnsetTimeout ? -1 : std::chrono::duration<double>(timeout).count();
  queue_->submit(work, std::move(issue), kind, seconds);
  return work;
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::broadcast(std::vector<at::Tensor>& tensors,
                                                            const c10d::BroadcastOptions& opts) {
  at::Tensor& t = singleTensor(tensors, "broadcast");
  checkRank(static_cast<int>(opts.rootRank), "root", "broadcast");
  Staging staging;
  at::Tensor buffer = staging.inPlace(t);
  const int root = static_cast<int>(opts.rootRank);
  const Transfer transfer = transferOf(t);
  return submit(
      c10d::OpType::BROADCAST, "broadcast", tensors, staging,
      [this, buffer, root, transfer](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclBroadcast(buffer.data_ptr(), buffer.data_ptr(), transferCount(buffer), transfer.type, root,
                                    comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::allreduce(std::vector<at::Tensor>& tensors,
                                                            const c10d::AllreduceOptions& opts) {
  if (tensors.size() == 1 && tensors[0].defined() && tensors[0].is_sparse()) return sparseAllreduce(tensors[0], opts);
  at::Tensor& t = singleTensor(tensors, "allreduce");
  Staging staging;
  at::Tensor buffer = staging.inPlace(t);
  const ncclDataType_t type = reductionType(t, "allreduce");
  auto op = std::make_shared<ReduceOperator>(opts.reduceOp, t, queue_->comm(), "allreduce");
  return submit(
      c10d::OpType::ALLREDUCE, "allreduce", tensors, staging,
      [this, buffer, type, op](ncclComm_t comm, braidStream_t stream) {
        queue_->check(
            ncclAllReduce(buffer.data_ptr(), buffer.data_ptr(), count(buffer), type, op->get(), comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::allreduce_coalesced(std::vector<at::Tensor>& tensors,
                                                                      const c10d::AllreduceCoalescedOptions& opts) {
  TORCH_CHECK(!tensors.empty(), "braid allreduce_coalesced: no tensors");
  Staging staging;
  std::vector<at::Tensor> buffers;
  std::vector<std::shared_ptr<ReduceOperator>> ops;
  for (const at::Tensor& t : tensors) {
    checkHostTensor(t, "allreduce_coalesced");
    reductionType(t, "allreduce_coalesced");
    buffers.push_back(staging.inPlace(t));
    ops.push_back(std::make_shared<ReduceOperator>(opts.reduceOp, t, queue_->comm(), "allreduce_coalesced"));
  }
  return submit(
      c10d::OpType::ALLREDUCE_COALESCED, "allreduce_coalesced", tensors, staging,
      [this, buffers, ops](ncclComm_t comm, braidStream_t stream) {
        for (size_t i = 0; i < buffers.size(); ++i)
          queue_->check(ncclAllReduce(buffers[i].data_ptr(), buffers[i].data_ptr(), count(buffers[i]),
                                      reductionType(buffers[i], "allreduce_coalesced"), ops[i]->get(), comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::reduce(std::vector<at::Tensor>& tensors,
                                                         const c10d::ReduceOptions& opts) {
  at::Tensor& t = singleTensor(tensors, "reduce");
  const int root = static_cast<int>(opts.rootRank);
  checkRank(root, "root", "reduce");
  Staging staging;
  at::Tensor buffer = staging.inPlace(t);
  const ncclDataType_t type = reductionType(t, "reduce");
  auto op = std::make_shared<ReduceOperator>(opts.reduceOp, t, queue_->comm(), "reduce");
  return submit(
      c10d::OpType::REDUCE, "reduce", tensors, staging,
      [this, buffer, type, op, root](ncclComm_t comm, braidStream_t stream) {
        queue_->check(
            ncclReduce(buffer.data_ptr(), buffer.data_ptr(), count(buffer), type, op->get(), root, comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::allgather(std::vector<std::vector<at::Tensor>>& outputs,
                                                            std::vector<at::Tensor>& inputs,
                                                            const c10d::AllgatherOptions& opts) {
  at::Tensor& in = singleTensor(inputs, "allgather");
  TORCH_CHECK(outputs.size() == 1 && static_cast<int>(outputs[0].size()) == getSize(), "braid allgather: expects one ",
              "list of ", getSize(), " output tensors");
  checkSameShape(outputs[0], in, in.numel(), "allgather");
  Staging staging;
  at::Tensor input = in.contiguous();
  at::Tensor gathered = staging.outputs(outputs[0], in);
  return submit(
      c10d::OpType::ALLGATHER, "allgather", outputs[0], staging,
      [this, input, gathered](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclAllGather(input.data_ptr(), gathered.data_ptr(), transferCount(input), transferOf(input).type,
                                    comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::_allgather_base(at::Tensor& output, at::Tensor& in,
                                                                  const c10d::AllgatherOptions& opts) {
  checkHostTensor(in, "_allgather_base");
  checkSameShape({output}, in, in.numel() * getSize(), "_allgather_base");
  Staging staging;
  at::Tensor input = in.contiguous();
  at::Tensor gathered = staging.output(output);
  return submit(
      c10d::OpType::_ALLGATHER_BASE, "_allgather_base", {output}, staging,
      [this, input, gathered](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclAllGather(input.data_ptr(), gathered.data_ptr(), transferCount(input), transferOf(input).type,
                                    comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::allgather_coalesced(std::vector<std::vector<at::Tensor>>& outputLists,
                                                                      std::vector<at::Tensor>& inputs,
                                                                      const c10d::AllgatherOptions& opts) {
  // One AllGather of all inputs laid end to end; rank r's block lands in outputLists[r].
  TORCH_CHECK(!inputs.empty(), "braid allgather_coalesced: no input tensors");
  TORCH_CHECK(static_cast<int>(outputLists.size()) == getSize(), "braid allgather_coalesced: expects ", getSize(),
              " output lists, got ", outputLists.size());
  std::vector<at::Tensor> targets;
  for (const std::vector<at::Tensor>& list : outputLists) {
    TORCH_CHECK(list.size() == inputs.size(), "braid allgather_coalesced: each output list must hold ", inputs.size(),
                " tensors");
    for (size_t i = 0; i < inputs.size(); ++i) {
      checkHostTensor(inputs[i], "allgather_coalesced");
      checkSameShape({list[i]}, inputs.front(), inputs[i].numel(), "allgather_coalesced");
      targets.push_back(list[i]);
    }
  }
  Staging staging;
  at::Tensor input = Staging::concatenated(inputs);
  at::Tensor gathered = staging.outputs(targets, input);
  return submit(
      c10d::OpType::ALLGATHER_COALESCED, "allgather_coalesced", targets, staging,
      [this, input, gathered](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclAllGather(input.data_ptr(), gathered.data_ptr(), transferCount(input), transferOf(input).type,
                                    comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

#if TORCH_VERSION_MAJOR >= 2
c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::allgather_into_tensor_coalesced(std::vector<at::Tensor>& outputs,
                                                                                  std::vector<at::Tensor>& inputs,
                                                                                  const c10d::AllgatherOptions& opts) {
  TORCH_CHECK(outputs.size() == inputs.size(), "braid allgather_into_tensor_coalesced: ", outputs.size(),
              " outputs for ", inputs.size(), " inputs");
  Staging staging;
  std::vector<at::Tensor> sources, targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    checkHostTensor(inputs[i], "allgather_into_tensor_coalesced");
    checkSameShape({outputs[i]}, inputs[i], inputs[i].numel() * getSize(), "allgather_into_tensor_coalesced");
    sources.push_back(inputs[i].contiguous());
    targets.push_back(staging.output(outputs[i]));
  }
  return submit(
      c10d::OpType::COALESCED, "allgather_into_tensor_coalesced", outputs, staging,
      [this, sources, targets](ncclComm_t comm, braidStream_t stream) {
        for (size_t i = 0; i < sources.size(); ++i)
          queue_->check(ncclAllGather(sources[i].data_ptr(), targets[i].data_ptr(), transferCount(sources[i]),
                                      transferOf(sources[i]).type, comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::reduce_scatter_tensor_coalesced(
    std::vector<at::Tensor>& outputs, std::vector<at::Tensor>& inputs, const c10d::ReduceScatterOptions& opts) {
  TORCH_CHECK(outputs.size() == inputs.size(), "braid reduce_scatter_tensor_coalesced: ", outputs.size(),
              " outputs for ", inputs.size(), " inputs");
  Staging staging;
  std::vector<at::Tensor> sources, targets;
  std::vector<std::shared_ptr<ReduceOperator>> ops;
  for (size_t i = 0; i < inputs.size(); ++i) {
    checkHostTensor(outputs[i], "reduce_scatter_tensor_coalesced");
    checkSameShape({inputs[i]}, outputs[i], outputs[i].numel() * getSize(), "reduce_scatter_tensor_coalesced");
    reductionType(outputs[i], "reduce_scatter_tensor_coalesced");
    ops.push_back(
        std::make_shared<ReduceOperator>(opts.reduceOp, outputs[i], queue_->comm(), "reduce_scatter_tensor_coalesced"));
    sources.push_back(inputs[i].contiguous());
    targets.push_back(staging.output(outputs[i]));
  }
  return submit(
      c10d::OpType::COALESCED, "reduce_scatter_tensor_coalesced", outputs, staging,
      [this, sources, targets, ops](ncclComm_t comm, braidStream_t stream) {
        for (size_t i = 0; i < sources.size(); ++i)
          queue_->check(ncclReduceScatter(sources[i].data_ptr(), targets[i].data_ptr(), count(targets[i]),
                                          reductionType(targets[i], "reduce_scatter_tensor_coalesced"), ops[i]->get(),
                                          comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::gather_into_tensor(at::Tensor& output, at::Tensor& in,
                                                                     const c10d::GatherOptions& opts) {
  checkHostTensor(in, "gather_into_tensor");
  const int root = static_cast<int>(opts.rootRank);
  checkRank(root, "root", "gather_into_tensor");
  Staging staging;
  at::Tensor input = in.contiguous();
  at::Tensor gathered;
  std::vector<at::Tensor> results;
  if (getRank() == root) {
    checkSameShape({output}, in, in.numel() * getSize(), "gather_into_tensor");
    gathered = staging.output(output);
    results = {output};
  }
  return submit(
      c10d::OpType::GATHER, "gather_into_tensor", results, staging,
      [this, input, gathered, root](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclGather(input.data_ptr(), gathered.defined() ? gathered.data_ptr() : nullptr,
                                 transferCount(input), transferOf(input).type, root, comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}
#endif

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::gather(std::vector<std::vector<at::Tensor>>& outputs,
                                                         std::vector<at::Tensor>& inputs,
                                                         const c10d::GatherOptions& opts) {
  at::Tensor& in = singleTensor(inputs, "gather");
  const int root = static_cast<int>(opts.rootRank);
  checkRank(root, "root", "gather");
  Staging staging;
  at::Tensor input = in.contiguous();
  at::Tensor gathered;
  std::vector<at::Tensor> results;
  if (getRank() == root) {
    TORCH_CHECK(outputs.size() == 1 && static_cast<int>(outputs[0].size()) == getSize(),
                "braid gather: the root expects one list of ", getSize(), " output tensors");
    checkSameShape(outputs[0], in, in.numel(), "gather");
    gathered = staging.outputs(outputs[0], in);
    results = outputs[0];
  } else {
    TORCH_CHECK(outputs.empty() || (outputs.size() == 1 && outputs[0].empty()),
                "braid gather: only the root takes output tensors");
  }
  return submit(
      c10d::OpType::GATHER, "gather", results, staging,
      [this, input, gathered, root](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclGather(input.data_ptr(), gathered.defined() ? gathered.data_ptr() : nullptr,
                                 transferCount(input), transferOf(input).type, root, comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::scatter(std::vector<at::Tensor>& outputs,
                                                          std::vector<std::vector<at::Tensor>>& inputs,
                                                          const c10d::ScatterOptions& opts) {
  at::Tensor& out = singleTensor(outputs, "scatter");
  const int root = static_cast<int>(opts.rootRank);
  checkRank(root, "root", "scatter");
  at::Tensor input;
  if (getRank() == root) {
    TORCH_CHECK(inputs.size() == 1 && static_cast<int>(inputs[0].size()) == getSize(),
                "braid scatter: the root expects one list of ", getSize(), " input tensors");
    checkSameShape(inputs[0], out, out.numel(), "scatter");
    input = Staging::concatenated(inputs[0]);
  } else {
    TORCH_CHECK(inputs.empty() || (inputs.size() == 1 && inputs[0].empty()),
                "braid scatter: only the root takes input tensors");
  }
  Staging staging;
  at::Tensor received = staging.output(out);
  return submit(
      c10d::OpType::SCATTER, "scatter", outputs, staging,
      [this, input, received, root](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclScatter(input.defined() ? input.data_ptr() : nullptr, received.data_ptr(),
                                  transferCount(received), transferOf(received).type, root, comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::reduce_scatter(std::vector<at::Tensor>& outputs,
                                                                 std::vector<std::vector<at::Tensor>>& inputs,
                                                                 const c10d::ReduceScatterOptions& opts) {
  at::Tensor& out = singleTensor(outputs, "reduce_scatter");
  TORCH_CHECK(inputs.size() == 1 && static_cast<int>(inputs[0].size()) == getSize(),
              "braid reduce_scatter: expects one list of ", getSize(), " input tensors");
  checkSameShape(inputs[0], out, out.numel(), "reduce_scatter");
  const ncclDataType_t type = reductionType(out, "reduce_scatter");
  auto op = std::make_shared<ReduceOperator>(opts.reduceOp, out, queue_->comm(), "reduce_scatter");
  Staging staging;
  at::Tensor input = Staging::concatenated(inputs[0]);
  at::Tensor reduced = staging.output(out);
  return submit(
      c10d::OpType::REDUCE_SCATTER, "reduce_scatter", outputs, staging,
      [this, input, reduced, type, op](ncclComm_t comm, braidStream_t stream) {
        queue_->check(
            ncclReduceScatter(input.data_ptr(), reduced.data_ptr(), count(reduced), type, op->get(), comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::_reduce_scatter_base(at::Tensor& output, at::Tensor& in,
                                                                       const c10d::ReduceScatterOptions& opts) {
  checkHostTensor(output, "_reduce_scatter_base");
  checkSameShape({in}, output, output.numel() * getSize(), "_reduce_scatter_base");
  const ncclDataType_t type = reductionType(output, "_reduce_scatter_base");
  auto op = std::make_shared<ReduceOperator>(opts.reduceOp, output, queue_->comm(), "_reduce_scatter_base");
  Staging staging;
  at::Tensor input = in.contiguous();
  at::Tensor reduced = staging.output(output);
  return submit(
      c10d::OpType::_REDUCE_SCATTER_BASE, "_reduce_scatter_base", {output}, staging,
      [this, input, reduced, type, op](ncclComm_t comm, braidStream_t stream) {
        queue_->check(
            ncclReduceScatter(input.data_ptr(), reduced.data_ptr(), count(reduced), type, op->get(), comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

namespace {

// Element counts and displacements for AlltoAllv, in Braid elements. Empty splits mean equal parts.
struct Exchange {
  std::vector<size_t> counts, displs;
};

Exchange exchangeOf(const at::Tensor& t, const std::vector<int64_t>& splits, int ranks, const char* side) {
  const int64_t rows = t.dim() == 0 ? 1 : t.size(0);
  const size_t perRow = rows == 0 ? 0 : transferCount(t) / static_cast<size_t>(rows);
  std::vector<int64_t> parts = splits;
  if (parts.empty()) {
    TORCH_CHECK(rows % ranks == 0, "braid alltoall_base: the ", side, " tensor's ", rows,
                " rows do not split evenly among ", ranks, " ranks");
    parts.assign(ranks, rows / ranks);
  }
  TORCH_CHECK(static_cast<int>(parts.size()) == ranks, "braid alltoall_base: ", side, " splits have ", parts.size(),
              " entries for ", ranks, " ranks");
  TORCH_CHECK(std::all_of(parts.begin(), parts.end(), [](int64_t p) { return p >= 0; }), "braid alltoall_base: ", side,
              " splits must not be negative");
  TORCH_CHECK(std::accumulate(parts.begin(), parts.end(), int64_t{0}) == rows, "braid alltoall_base: ", side,
              " splits add up to ", std::accumulate(parts.begin(), parts.end(), int64_t{0}),
              " rows, but the tensor has ", rows);
  Exchange e;
  size_t offset = 0;
  for (int64_t p : parts) {
    e.counts.push_back(static_cast<size_t>(p) * perRow);
    e.displs.push_back(offset);
    offset += e.counts.back();
  }
  return e;
}

}  // namespace

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::alltoall_base(at::Tensor& output, at::Tensor& in,
                                                                std::vector<int64_t>& outputSplits,
                                                                std::vector<int64_t>& inputSplits,
                                                                const c10d::AllToAllOptions& opts) {
  checkHostTensor(in, "alltoall_base");
  checkHostTensor(output, "alltoall_base");
  TORCH_CHECK(output.scalar_type() == in.scalar_type(), "braid alltoall_base: output dtype ",
              dtypeName(output.scalar_type()), " differs from the input's ", dtypeName(in.scalar_type()));
  const Exchange sends = exchangeOf(in, inputSplits, getSize(), "input");
  const Exchange receives = exchangeOf(output, outputSplits, getSize(), "output");
  Staging staging;
  at::Tensor input = in.contiguous();
  at::Tensor received = staging.output(output);
  return submit(
      c10d::OpType::ALLTOALL_BASE, "alltoall_base", {output}, staging,
      [this, input, received, sends, receives](ncclComm_t comm, braidStream_t stream) {
        queue_->check(braidAlltoAllv(input.data_ptr(), sends.counts.data(), sends.displs.data(), received.data_ptr(),
                                     receives.counts.data(), receives.displs.data(), transferOf(input).type, comm,
                                     stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::alltoall(std::vector<at::Tensor>& outputs,
                                                           std::vector<at::Tensor>& inputs,
                                                           const c10d::AllToAllOptions& opts) {
  TORCH_CHECK(static_cast<int>(inputs.size()) == getSize() && static_cast<int>(outputs.size()) == getSize(),
              "braid alltoall: expects ", getSize(), " input and ", getSize(), " output tensors");
  Exchange sends, receives;
  size_t sent = 0, received = 0;
  for (int p = 0; p < getSize(); ++p) {
    checkSameShape({inputs[p]}, inputs[0], inputs[p].numel(), "alltoall");
    checkSameShape({outputs[p]}, inputs[0], outputs[p].numel(), "alltoall");
    sends.counts.push_back(transferCount(inputs[p]));
    sends.displs.push_back(sent);
    sent += sends.counts.back();
    receives.counts.push_back(transferCount(outputs[p]));
    receives.displs.push_back(received);
    received += receives.counts.back();
  }
  Staging staging;
  at::Tensor input = Staging::concatenated(inputs);
  at::Tensor gathered = staging.outputs(outputs, input);
  return submit(
      c10d::OpType::ALLTOALL, "alltoall", outputs, staging,
      [this, input, gathered, sends, receives](ncclComm_t comm, braidStream_t stream) {
        queue_->check(braidAlltoAllv(input.data_ptr(), sends.counts.data(), sends.displs.data(), gathered.data_ptr(),
                                     receives.counts.data(), receives.displs.data(), transferOf(input).type, comm,
                                     stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

// Tags are not matched: like NCCL, Braid pairs a rank's sends to a peer with that peer's receives in order.
c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::send(std::vector<at::Tensor>& tensors, int dstRank, int) {
  at::Tensor& t = singleTensor(tensors, "send");
  checkRank(dstRank, "destination", "send");
  Staging staging;
  at::Tensor buffer = t.contiguous();
  return submit(
      c10d::OpType::SEND, "send", tensors, staging,
      [this, buffer, dstRank](ncclComm_t comm, braidStream_t stream) {
        queue_->check(
            ncclSend(buffer.data_ptr(), transferCount(buffer), transferOf(buffer).type, dstRank, comm, stream));
      },
      OpQueue::Kind::PointToPoint);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::recv(std::vector<at::Tensor>& tensors, int srcRank, int) {
  at::Tensor& t = singleTensor(tensors, "recv");
  checkRank(srcRank, "source", "recv");
  Staging staging;
  at::Tensor buffer = staging.output(t);
  return submit(
      c10d::OpType::RECV, "recv", tensors, staging,
      [this, buffer, srcRank](ncclComm_t comm, braidStream_t stream) {
        queue_->check(
            ncclRecv(buffer.data_ptr(), transferCount(buffer), transferOf(buffer).type, srcRank, comm, stream));
      },
      OpQueue::Kind::PointToPoint);
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::recvAnysource(std::vector<at::Tensor>& tensors, int) {
  at::Tensor& t = singleTensor(tensors, "recvAnysource");
  TORCH_CHECK(t.numel() > 0, "braid recvAnysource: the tensor is empty, and an empty message cannot be matched");
  Staging staging;
  at::Tensor buffer = staging.output(t);
  auto work = c10::make_intrusive<WorkBraid>(getRank(), c10d::OpType::RECVANYSOURCE, "recvAnysource", tensors);
  work->setCopyBack(staging.copyBack());
  int* source = work->sourceSlot();
  queue_->submit(
      work,
      [this, buffer, source](ncclComm_t comm, braidStream_t stream) {
        queue_->check(braidRecvAnySource(buffer.data_ptr(), transferCount(buffer), transferOf(buffer).type, source,
                                         comm, stream));
      },
      OpQueue::Kind::AnySource);
  return work;
}

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::barrier(const c10d::BarrierOptions& opts) {
  at::Tensor token = at::zeros({1}, at::kByte);
  Staging staging;
  return submit(
      c10d::OpType::BARRIER, "barrier", {}, staging,
      [this, token](ncclComm_t comm, braidStream_t stream) {
        queue_->check(ncclAllReduce(token.data_ptr(), token.data_ptr(), 1, ncclUint8, ncclMax, comm, stream));
      },
      OpQueue::Kind::Collective, opts.timeout);
}

void ProcessGroupBraid::startCoalescing() { queue_->startCoalescing(); }

#if TORCH_VERSION_MAJOR >= 2
c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::endCoalescing() {
  queue_->endCoalescing();
  // The block's work completes when everything issued before it has. (OpType::COALESCED is not in every 2.x.)
  Staging staging;
  return submit(c10d::OpType::UNKNOWN, "coalesced", {}, staging, [](ncclComm_t, braidStream_t) {});
}
#else
void ProcessGroupBraid::endCoalescing(std::vector<c10::intrusive_ptr<c10d::Work>>&) { queue_->endCoalescing(); }
#endif

c10::intrusive_ptr<ProcessGroupBraid> createProcessGroupBraid(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                              int size, std::chrono::duration<float> timeout) {
  return c10::make_intrusive<ProcessGroupBraid>(store, rank, size,
                                                std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
}

}  // namespace torch_braid
