// Parameters by name (NCCL 2.30's key-based parameter access), answered from Braid's registry (base/params.h).
#include <string>
#include <vector>

#include "api/api_call.h"
#include "base/log.h"
#include "base/params.h"

using braid::apiCall;
using braid::fail;

BRAID_API ncclResult_t ncclParamGetParameter(const char* key, const char** value, int* valueLen) {
  return apiCall(nullptr, [&] {
    if (!key || !value || !valueLen) fail(ncclInvalidArgument, "ncclParamGetParameter: arguments must not be NULL");
    const braid::param::Parameter* p = braid::param::find(key);
    if (!p) fail(ncclInvalidArgument, std::string("ncclParamGetParameter: ") + key + " is no Braid parameter");
    thread_local std::string text;
    const std::optional<std::string> set = p->checkedText();
    text = set ? *set : p->defaultText();
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
