#include "device/datatype.h"

namespace braid {
namespace {
struct TypeInfo {
  size_t size;
  const char* name;
  const char* ncclName;
  bool floating;
};
constexpr TypeInfo kTypes[ncclNumTypes] = {
    {1, "int8", "ncclInt8", false},        {1, "uint8", "ncclUint8", false},      {4, "int32", "ncclInt32", false},
    {4, "uint32", "ncclUint32", false},    {8, "int64", "ncclInt64", false},      {8, "uint64", "ncclUint64", false},
    {2, "half", "ncclFloat16", true},      {4, "float", "ncclFloat32", true},     {8, "double", "ncclFloat64", true},
    {2, "bfloat16", "ncclBfloat16", true}, {1, "f8e4m3", "ncclFloat8e4m3", true}, {1, "f8e5m2", "ncclFloat8e5m2", true},
};
}  // namespace

bool isValidDataType(ncclDataType_t type) { return type >= 0 && type < ncclNumTypes; }
size_t dataTypeSize(ncclDataType_t type) { return kTypes[type].size; }
const char* dataTypeName(ncclDataType_t type) { return kTypes[type].name; }
const char* ncclDataTypeName(ncclDataType_t type) { return kTypes[type].ncclName; }
bool isFloatingType(ncclDataType_t type) { return kTypes[type].floating; }

}  // namespace braid
