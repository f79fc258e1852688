// How torch tensors and reduce ops map onto Braid's datatypes and reduction operators, with the checks that
// turn unsupported input into a RuntimeError naming the operation.
#pragma once

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/Types.hpp>

#include "nccl.h"

namespace torch_braid {

// Python's name for a dtype, as users know it: "torch.bfloat16".
std::string dtypeName(at::ScalarType type);

// Throws unless `t` is a dense CPU tensor (the only kind this build moves).
void checkHostTensor(const at::Tensor& t, const char* op);
// Throws unless `tensors` holds exactly one host tensor (one device per process), and returns it.
at::Tensor& singleTensor(std::vector<at::Tensor>& tensors, const char* op);
// Throws unless every tensor has `like`'s dtype and `numel` elements.
void checkSameShape(const std::vector<at::Tensor>& tensors, const at::Tensor& like, int64_t numel, const char* op);

// The Braid type that reduces `t`'s elements; throws for dtypes Braid has no arithmetic for.
ncclDataType_t reductionType(const at::Tensor& t, const char* op);

// How data-moving collectives carry `t`: its own Braid type where there is one (so ranks that disagree on the
// dtype are caught), raw bytes otherwise (int16, complex, ...).
struct Transfer {
  ncclDataType_t type;
  size_t perElement;  // Braid elements per tensor element
};
Transfer transferOf(const at::Tensor& t);
inline size_t transferCount(const at::Tensor& t) { return static_cast<size_t>(t.numel()) * transferOf(t).perElement; }

// A reduction operator for one collective. PreMulSum ops are created on `comm` and destroyed with this object
// (Braid resolves the operator when the call is issued, so it may go once the call is queued).
class ReduceOperator {
 public:
  ReduceOperator(const c10d::ReduceOp& op, const at::Tensor& t, ncclComm_t comm, const char* opName);
  ~ReduceOperator();
  ReduceOperator(const ReduceOperator&) = delete;
  ReduceOperator& operator=(const ReduceOperator&) = delete;
  ncclRedOp_t get() const { return op_; }

 private:
  ncclRedOp_t op_;
  ncclComm_t comm_ = nullptr;  // set when op_ is a PreMulSum created here
};

}  // namespace torch_braid
