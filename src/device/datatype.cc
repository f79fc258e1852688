#include "device/datatype.h"

namespace braid {
namespace {
struct TypeInfo {
  size_t size;
  const char* name;
  bool floating;
};
constexpr TypeInfo kTypes[ncclNumTypes] = {
    {1, "int8", false},  {1, "uint8", false},   {4, "int32", false}, {4, "uint32", false},
    {8, "int64", false}, {8, "uint64", false},  {2, "half", true},   {4, "float", true},
    {8, "double", true}, {2, "bfloat16", true}, {1, "f8e4m3", true}, {1, "f8e5m2", true},
};
}  // namespace

bool isValidDataType(ncclDataType_t type) { return type >= 0 && type < ncclNumTypes; }
size_t dataTypeSize(ncclDataType_t type) { return kTypes[type].size; }
const char* dataTypeName(ncclDataType_t type) { return kTypes[type].name; }
bool isFloatingType(ncclDataType_t type) { return kTypes[type].floating; }

}  // namespace braid
