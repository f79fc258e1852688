#include "tensor_types.h"

#include <type_traits>
#include <utility>

#include <c10/util/Exception.h>
#include <torch/csrc/utils/tensor_dtypes.h>

namespace torch_braid {

namespace {
// Later torch has c10::getDtypeNames (found here by argument-dependent lookup) and no longer exports
// torch::utils::getDtypeNames, the only one torch 1.x has.
template <typename Type>
auto dtypeNames(Type type, int) -> decltype(getDtypeNames(type)) {
  return getDtypeNames(type);
}
template <typename Type>
auto dtypeNames(Type type, long) {
  return torch::utils::getDtypeNames(type);
}
}  // namespace

std::string dtypeName(at::ScalarType type) { return "torch." + std::string(dtypeNames(type, 0).first); }

void checkHostTensor(const at::Tensor& t, const char* op) {
  TORCH_CHECK(t.defined(), "braid ", op, ": tensor is undefined");
  TORCH_CHECK(t.layout() == at::kStrided, "braid ", op, ": only dense tensors are supported, got layout ", t.layout());
  TORCH_CHECK(t.device().is_cpu(), "braid ", op, ": tensor is on ", t.device(),
              ", but this Braid build moves CPU tensors only");
}

at::Tensor& singleTensor(std::vector<at::Tensor>& tensors, const char* op) {
  TORCH_CHECK(tensors.size() == 1, "braid ", op, ": expects one tensor per process, got ", tensors.size());
  checkHostTensor(tensors[0], op);
  return tensors[0];
}

void checkSameShape(const std::vector<at::Tensor>& tensors, const at::Tensor& like, int64_t numel, const char* op) {
  for (const at::Tensor& t : tensors) {
    checkHostTensor(t, op);
    TORCH_CHECK(t.scalar_type() == like.scalar_type(), "braid ", op, ": dtype ", dtypeName(t.scalar_type()),
                " differs from the input's ", dtypeName(like.scalar_type()));
    TORCH_CHECK(t.numel() == numel, "braid ", op, ": a tensor has ", t.numel(), " elements where ", numel,
                " are expected");
  }
}

namespace {

bool nativeType(at::ScalarType s, ncclDataType_t* type) {
  switch (s) {
    case at::kChar: *type = ncclInt8; return true;
    case at::kByte: *type = ncclUint8; return true;
    case at::kBool: *type = ncclUint8; return true;
    case at::kInt: *type = ncclInt32; return true;
    case at::kLong: *type = ncclInt64; return true;
    case at::kHalf: *type = ncclFloat16; return true;
    case at::kBFloat16: *type = ncclBfloat16; return true;
    case at::kFloat: *type = ncclFloat32; return true;
    case at::kDouble: *type = ncclFloat64; return true;
    default: return false;
  }
}

}  // namespace

ncclDataType_t reductionType(const at::Tensor& t, const char* op) {
  ncclDataType_t type;
  TORCH_CHECK(nativeType(t.scalar_type(), &type), "braid ", op, ": dtype ", dtypeName(t.scalar_type()),
              " is not supported for reductions (int8, uint8, bool, int32, int64, float16, bfloat16, float32 and "
              "float64 are)");
  return type;
}

Transfer transferOf(const at::Tensor& t) {
  ncclDataType_t type;
  if (nativeType(t.scalar_type(), &type)) return {type, 1};
  return {ncclUint8, static_cast<size_t>(t.element_size())};
}

namespace {

// torch 1.x keeps PREMUL_SUM's tensor factor in a list (tensor_factors), later torch in one tensor (tensor_factor).
template <typename Supplement, typename = void>
struct HasFactorList : std::false_type {};
template <typename Supplement>
struct HasFactorList<Supplement, std::void_t<decltype(std::declval<Supplement>().tensor_factors)>> : std::true_type {};

template <typename Supplement>
at::Tensor factorOf(const Supplement& supplement, const at::TensorOptions& options) {
  at::Tensor tensor;
  if constexpr (HasFactorList<Supplement>::value) {
    if (!supplement.tensor_factors.empty()) tensor = supplement.tensor_factors.front();
  } else {
    tensor = supplement.tensor_factor;
  }
  if (!tensor.defined()) return at::scalar_tensor(supplement.double_factor, options);
  return tensor.to(options).reshape({});
}

}  // namespace

ReduceOperator::ReduceOperator(const c10d::ReduceOp& op, const at::Tensor& t, ncclComm_t comm, const char* opName) {
  const bool logical = t.scalar_type() == at::kBool;  // sum is "any", product is "all"
  switch (op.op_) {
    case c10d::ReduceOp::SUM: op_ = logical ? ncclMax : ncclSum; return;
    case c10d::ReduceOp::PRODUCT: op_ = logical ? ncclMin : ncclProd; return;
    case c10d::ReduceOp::MIN: op_ = ncclMin; return;
    case c10d::ReduceOp::MAX: op_ = ncclMax; return;
    case c10d::ReduceOp::AVG:
      TORCH_CHECK(!logical, "braid ", opName, ": AVG is not defined for bool tensors");
      op_ = ncclAvg;
      return;
    case c10d::ReduceOp::PREMUL_SUM: {
      TORCH_CHECK(!logical, "braid ", opName, ": PREMUL_SUM is not defined for bool tensors");
      auto* supplement = dynamic_cast<c10d::NCCLPreMulSumSupplement*>(op.supplement_.get());
      TORCH_CHECK(supplement, "braid ", opName, ": PREMUL_SUM without its factor");
      // The factor, converted to the tensor's dtype, as a host scalar that Braid copies when the call is issued.
      at::Tensor factor = factorOf(*supplement, t.options());
      TORCH_CHECK(ncclRedOpCreatePreMulSum(&op_, factor.data_ptr(), reductionType(t, opName), ncclScalarHostImmediate,
                                           comm) == ncclSuccess,
                  "braid ", opName, ": ", ncclGetLastError(comm));
      comm_ = comm;
      return;
    }
    default:
      TORCH_CHECK(false, "braid ", opName, ": ReduceOp ", static_cast<int>(op.op_),
                  " is not supported (Braid reduces with SUM, PRODUCT, MIN, MAX, AVG and PREMUL_SUM; it has no "
                  "bitwise reductions)");
  }
}

ReduceOperator::~ReduceOperator() {
  if (comm_) ncclRedOpDestroy(op_, comm_);
}

}  // namespace torch_braid
