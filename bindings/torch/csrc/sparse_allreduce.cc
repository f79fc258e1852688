// all_reduce of a sparse COO tensor, as Gloo does it: the ranks gather each other's indices and values, and each
// adds them all up. Braid moves dense buffers, so every rank's part is padded to the largest one.
#include <algorithm>

#include "gil.h"
#include "process_group_braid.h"
#include "tensor_types.h"

namespace torch_braid {

c10::intrusive_ptr<c10d::Work> ProcessGroupBraid::sparseAllreduce(at::Tensor& t, const c10d::AllreduceOptions& opts) {
  TORCH_CHECK(t.device().is_cpu(), "braid allreduce: tensor is on ", t.device(),
              ", but this Braid build moves CPU tensors only");
  TORCH_CHECK(opts.reduceOp == c10d::ReduceOp::SUM, "braid allreduce: sparse tensors are reduced with SUM only");
  const at::Tensor input = t.coalesce();
  const at::Tensor indices = input._indices().contiguous();  // [sparse dims, nnz]
  const at::Tensor values = input._values().contiguous();    // [nnz, dense sizes...]
  const int64_t ranks = getSize();

  // Waits for one gather of every rank's `mine` into `all` (rank r's part at r * mine.numel()).
  const auto gather = [&](at::Tensor all, at::Tensor mine) {
    c10d::AllgatherOptions gatherOptions;
    gatherOptions.timeout = opts.timeout;
    c10::intrusive_ptr<c10d::Work> work = _allgather_base(all, mine, gatherOptions);
    withoutGil([&] { work->wait(); });
  };

  at::Tensor counts = at::empty({ranks}, at::kLong);
  gather(counts, at::full({1}, input._nnz(), at::kLong));
  const int64_t widest = counts.max().item<int64_t>();

  std::vector<int64_t> valueShape = values.sizes().vec();
  valueShape[0] = widest;
  at::Tensor paddedIndices = at::zeros({indices.size(0), widest}, indices.options());
  paddedIndices.narrow(1, 0, indices.size(1)).copy_(indices);
  at::Tensor paddedValues = at::zeros(valueShape, values.options());
  paddedValues.narrow(0, 0, values.size(0)).copy_(values);

  std::vector<int64_t> allIndicesShape{ranks, indices.size(0), widest};
  std::vector<int64_t> allValuesShape = valueShape;
  allValuesShape.insert(allValuesShape.begin(), ranks);
  at::Tensor allIndices = at::empty(allIndicesShape, indices.options());
  at::Tensor allValues = at::empty(allValuesShape, values.options());
  gather(allIndices, paddedIndices);
  gather(allValues, paddedValues);

  std::vector<at::Tensor> indexParts, valueParts;
  for (int64_t r = 0; r < ranks; ++r) {
    const int64_t count = counts[r].item<int64_t>();
    indexParts.push_back(allIndices[r].narrow(1, 0, count));
    valueParts.push_back(allValues[r].narrow(0, 0, count));
  }
  const at::Tensor sum =
      at::sparse_coo_tensor(at::cat(indexParts, 1), at::cat(valueParts, 0), input.sizes(), input.options()).coalesce();
  t.copy_(sum);

  auto work =
      c10::make_intrusive<WorkBraid>(getRank(), c10d::OpType::ALLREDUCE, "allreduce", std::vector<at::Tensor>{t});
  work->complete(ncclSuccess, "");
  return work;
}

}  // namespace torch_braid
