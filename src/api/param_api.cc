// Parameters (NCCL 2.30's parameter access, by key and by handle), answered from Braid's registry
// (base/params.h). A handle is the registry's Parameter itself: it lives as long as the library.
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "api/api_call.h"
#include "base/log.h"
#include "base/params.h"

using braid::apiCall;
using braid::fail;

namespace {

// The text in effect: the value set (checked), else the default ("" when there is none).
std::string textInEffect(const braid::param::Parameter& p) {
  const std::optional<std::string> set = p.checkedText();
  return set ? *set : p.defaultText();
}

const braid::param::Parameter& parameterOf(ncclParamHandle_t h, const char* call) {
  if (!h) fail(ncclInvalidArgument, std::string(call) + ": handle is NULL");
  for (const braid::param::Parameter* p : braid::param::all())
    if (p == reinterpret_cast<const braid::param::Parameter*>(h)) return *p;
  fail(ncclInvalidArgument, std::string(call) + ": handle was not returned by ncclParamBind");
}

// The typed getters: the value as a whole number that fits T, or ncclInvalidArgument saying why not.
template <class T>
ncclResult_t getInteger(ncclParamHandle_t h, T* out, const char* call) {
  return apiCall(nullptr, [&] {
    const braid::param::Parameter& p = parameterOf(h, call);
    if (!out) fail(ncclInvalidArgument, std::string(call) + ": out is NULL");
    const std::optional<long long> value = p.integerValue();
    if (!value)
      fail(ncclInvalidArgument, std::string(call) + ": " + p.name() + " (" + p.typeName() +
                                    ") has no whole-number value; ncclParamGetStr reads it as text");
    const bool fits =
        std::is_signed_v<T>
            ? *value >= std::numeric_limits<T>::min() && *value <= static_cast<long long>(std::numeric_limits<T>::max())
            : *value >= 0 && static_cast<unsigned long long>(*value) <= std::numeric_limits<T>::max();
    if (!fits)
      fail(ncclInvalidArgument,
           std::string(call) + ": " + p.name() + " is " + std::to_string(*value) + ", which does not fit the type");
    *out = static_cast<T>(*value);
  });
}

}  // namespace

BRAID_API ncclResult_t ncclParamBind(ncclParamHandle_t* out, const char* key) {
  return apiCall(nullptr, [&] {
    if (!out || !key) fail(ncclInvalidArgument, "ncclParamBind: arguments must not be NULL");
    const braid::param::Parameter* p = braid::param::find(key);
    if (!p) fail(ncclInvalidArgument, std::string("ncclParamBind: ") + key + " is no Braid parameter (braid env)");
    *out = reinterpret_cast<ncclParamHandle_t>(const_cast<braid::param::Parameter*>(p));
  });
}
BRAID_PROFILING_ALIAS(ncclParamBind);

#define BRAID_PARAM_GETTER(suffix, type)                                                                               \
  BRAID_API ncclResult_t ncclParamGet##suffix(ncclParamHandle_t h, type* out) {                                        \
    return getInteger(h, out, "ncclParamGet" #suffix);                                                                 \
  }                                                                                                                    \
  BRAID_PROFILING_ALIAS(ncclParamGet##suffix)
BRAID_PARAM_GETTER(I8, int8_t);
BRAID_PARAM_GETTER(I16, int16_t);
BRAID_PARAM_GETTER(I32, int32_t);
BRAID_PARAM_GETTER(I64, int64_t);
BRAID_PARAM_GETTER(U8, uint8_t);
BRAID_PARAM_GETTER(U16, uint16_t);
BRAID_PARAM_GETTER(U32, uint32_t);
BRAID_PARAM_GETTER(U64, uint64_t);
#undef BRAID_PARAM_GETTER

BRAID_API ncclResult_t ncclParamGetStr(ncclParamHandle_t h, const char** out) {
  return apiCall(nullptr, [&] {
    const braid::param::Parameter& p = parameterOf(h, "ncclParamGetStr");
    if (!out) fail(ncclInvalidArgument, "ncclParamGetStr: out is NULL");
    thread_local std::string text;
    text = textInEffect(p);
    *out = text.c_str();
  });
}
BRAID_PROFILING_ALIAS(ncclParamGetStr);

// Raw bytes: a whole-number parameter's value as an int64_t, any other's text (without a terminating NUL).
BRAID_API ncclResult_t ncclParamGet(ncclParamHandle_t h, void* out, int maxLen, int* len) {
  return apiCall(nullptr, [&] {
    const braid::param::Parameter& p = parameterOf(h, "ncclParamGet");
    if (!out || !len || maxLen < 0) fail(ncclInvalidArgument, "ncclParamGet: out and len must not be NULL");
    std::string bytes;
    if (const std::optional<long long> value = p.integerValue()) {
      const int64_t v = *value;
      bytes.assign(reinterpret_cast<const char*>(&v), sizeof v);
    } else {
      bytes = textInEffect(p);
    }
    if (bytes.size() > static_cast<size_t>(maxLen))
      fail(ncclInvalidArgument, "ncclParamGet: " + p.name() + " takes " + std::to_string(bytes.size()) +
                                    " bytes, more than maxLen " + std::to_string(maxLen));
    std::memcpy(out, bytes.data(), bytes.size());
    *len = static_cast<int>(bytes.size());
  });
}
BRAID_PROFILING_ALIAS(ncclParamGet);

BRAID_API ncclResult_t ncclParamGetParameter(const char* key, const char** value, int* valueLen) {
  return apiCall(nullptr, [&] {
    if (!key || !value || !valueLen) fail(ncclInvalidArgument, "ncclParamGetParameter: arguments must not be NULL");
    const braid::param::Parameter* p = braid::param::find(key);
    if (!p) fail(ncclInvalidArgument, std::string("ncclParamGetParameter: ") + key + " is no Braid parameter");
    thread_local std::string text;
    text = textInEffect(*p);
    *value = text.c_str();
    *valueLen = static_cast<int>(text.size());
  });
}
BRAID_PROFILING_ALIAS(ncclParamGetParameter);

BRAID_API ncclResult_t ncclParamGetAllParameterKeys(const char*** table, int* tableLen) {
  return apiCall(nullptr, [&] {
    if (!table || !tableLen) fail(ncclInvalidArgument, "ncclParamGetAllParameterKeys: arguments must not be NULL");
    thread_local std::vector<std::string> names;
    thread_local std::vector<const char*> pointers;
    names.clear();
    for (const braid::param::Parameter* p : braid::param::all()) names.push_back(p->name());
    pointers.clear();
    for (const std::string& n : names) pointers.push_back(n.c_str());
    *table = pointers.data();
    *tableLen = static_cast<int>(pointers.size());
  });
}
BRAID_PROFILING_ALIAS(ncclParamGetAllParameterKeys);

BRAID_API void ncclParamDumpAll(void) {
  for (const braid::param::Parameter* p : braid::param::all()) {
    std::string value = p->defaultText(), from = "default";
    try {
      if (const auto s = p->setting()) value = s->text, from = s->origin;
    } catch (const braid::Error& e) {
      from = e.what();
    }
    BRAID_INFO("ENV", "%s=%s (%s)", p->name().c_str(), value.c_str(), from.c_str());
  }
}
BRAID_PROFILING_ALIAS(ncclParamDumpAll);
