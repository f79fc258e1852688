// Facts about NCCL data types: element sizes, names, families.
#pragma once

#include <cstddef>
#include <string>

#include "nccl.h"

namespace braid {

bool isValidDataType(ncclDataType_t type);
size_t dataTypeSize(ncclDataType_t type);
const char* dataTypeName(ncclDataType_t type);      // nccl-tests' spelling: "float", "half", "bfloat16", ...
const char* ncclDataTypeName(ncclDataType_t type);  // NCCL's own (its profiler events): "ncclFloat32", ...
bool isFloatingType(ncclDataType_t type);

}  // namespace braid
