#include "reference_data.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "device/datatype.h"
#include "device/host/small_floats.h"

namespace braid::reference {

const char* testOpName(TestOp op) {
  static const char* names[] = {"sum", "prod", "max", "min", "avg", "mulsum"};
  return names[static_cast<int>(op)];
}

bool parseTestOp(const std::string& name, TestOp& op) {
  for (int i = 0; i < kTestOpCount; ++i)
    if (name == testOpName(static_cast<TestOp>(i)) || (i == 5 && name == "premulsum")) {
      op = static_cast<TestOp>(i);
      return true;
    }
  return false;
}

void storeValue(ncclDataType_t type, void* buffer, size_t i, double v) {
  // Integers wrap like the GPU does (two's complement) when a product overflows.
  const int64_t w = static_cast<int64_t>(v);
  switch (type) {
    case ncclInt8: static_cast<int8_t*>(buffer)[i] = static_cast<int8_t>(static_cast<uint8_t>(w)); break;
    case ncclUint8: static_cast<uint8_t*>(buffer)[i] = static_cast<uint8_t>(w); break;
    case ncclInt32: static_cast<int32_t*>(buffer)[i] = static_cast<int32_t>(static_cast<uint32_t>(w)); break;
    case ncclUint32: static_cast<uint32_t*>(buffer)[i] = static_cast<uint32_t>(w); break;
    case ncclInt64: static_cast<int64_t*>(buffer)[i] = w; break;
    case ncclUint64: static_cast<uint64_t*>(buffer)[i] = static_cast<uint64_t>(w); break;
    case ncclFloat16: static_cast<uint16_t*>(buffer)[i] = floatToHalf(static_cast<float>(v)); break;
    case ncclFloat32: static_cast<float*>(buffer)[i] = static_cast<float>(v); break;
    case ncclFloat64: static_cast<double*>(buffer)[i] = v; break;
    case ncclBfloat16: static_cast<uint16_t*>(buffer)[i] = floatToBfloat16(static_cast<float>(v)); break;
    case ncclFloat8e4m3: static_cast<uint8_t*>(buffer)[i] = floatToFp8e4m3(static_cast<float>(v)); break;
    case ncclFloat8e5m2: static_cast<uint8_t*>(buffer)[i] = floatToFp8e5m2(static_cast<float>(v)); break;
    default: break;
  }
}

double loadValue(ncclDataType_t type, const void* buffer, size_t i) {
  switch (type) {
    case ncclInt8: return static_cast<const int8_t*>(buffer)[i];
    case ncclUint8: return static_cast<const uint8_t*>(buffer)[i];
    case ncclInt32: return static_cast<const int32_t*>(buffer)[i];
    case ncclUint32: return static_cast<const uint32_t*>(buffer)[i];
    case ncclInt64: return static_cast<double>(static_cast<const int64_t*>(buffer)[i]);
    case ncclUint64: return static_cast<double>(static_cast<const uint64_t*>(buffer)[i]);
    case ncclFloat16: return halfToFloat(static_cast<const uint16_t*>(buffer)[i]);
    case ncclFloat32: return static_cast<const float*>(buffer)[i];
    case ncclFloat64: return static_cast<const double*>(buffer)[i];
    case ncclBfloat16: return bfloat16ToFloat(static_cast<const uint16_t*>(buffer)[i]);
    case ncclFloat8e4m3: return fp8e4m3ToFloat(static_cast<const uint8_t*>(buffer)[i]);
    case ncclFloat8e5m2: return fp8e5m2ToFloat(static_cast<const uint8_t*>(buffer)[i]);
    default: return 0;
  }
}

namespace {
bool isFp8(ncclDataType_t t) { return t == ncclFloat8e4m3 || t == ncclFloat8e5m2; }

// Relative precision of each floating type (unit roundoff times two).
double precisionOf(ncclDataType_t t) {
  switch (t) {
    case ncclFloat8e5m2: return 0.25;
    case ncclFloat8e4m3: return 0.125;
    case ncclBfloat16: return 1.0 / 128;
    case ncclFloat16: return 1.0 / 1024;
    case ncclFloat32: return 1e-6;
    default: return 1e-14;
  }
}
}  // namespace

double reductionInput(ncclDataType_t type, TestOp op, int rank, size_t i) {
  const size_t r = static_cast<size_t>(rank);
  switch (op) {
    case TestOp::Prod: return ((r + i) % 2 == 0 && i % 3 == 0) ? 2 : 1;  // product <= 2^nranks
    case TestOp::Max:
    case TestOp::Min: return static_cast<double>((r * 7 + i * 3) % 5);
    default: return static_cast<double>((r + i) % (isFp8(type) ? 2 : 5));  // fp8: sums stay <= 16
  }
}

double reductionResult(ncclDataType_t type, TestOp op, int nranks, size_t i, double& tolerance) {
  tolerance = 0;
  double acc = reductionInput(type, op, 0, i) * (op == TestOp::PreMulSum ? kPreMulScalar : 1);
  for (int r = 1; r < nranks; ++r) {
    double v = reductionInput(type, op, r, i);
    switch (op) {
      case TestOp::Prod: acc *= v; break;
      case TestOp::Max: acc = std::fmax(acc, v); break;
      case TestOp::Min: acc = std::fmin(acc, v); break;
      case TestOp::PreMulSum: acc += kPreMulScalar * v; break;
      default: acc += v; break;
    }
  }
  if (op != TestOp::Avg) return acc;
  if (!isFloatingType(type)) return static_cast<double>(static_cast<int64_t>(acc) / nranks);
  double mean = acc / nranks;
  tolerance = (nranks + 1) * precisionOf(type) * std::fmax(mean, 1.0);
  return mean;
}

double movementValue(ncclDataType_t type, int source, size_t i) {
  // Small integers are exact everywhere; fp8 e5m2 represents every integer up to 8.
  return static_cast<double>((static_cast<size_t>(source) * 5 + i) % (isFp8(type) ? 9 : 101));
}

bool holds(ncclDataType_t type, const void* buffer, size_t index, double want, double tolerance) {
  if (tolerance > 0) return std::fabs(loadValue(type, buffer, index) - want) <= tolerance;
  unsigned char expected[8];
  storeValue(type, expected, 0, want);
  const size_t size = dataTypeSize(type);
  return std::memcmp(static_cast<const char*>(buffer) + index * size, expected, size) == 0;
}

}  // namespace braid::reference
