/* Profiler plugins Braid must refuse without harm: built with TEST_PROFILER_WRONG_ABI it offers only ABI versions
 * Braid does not load (ncclProfiler_v0, older than any, and ncclProfiler_v7, newer), never called; otherwise a v6
 * plugin whose init fails, so that each communicator goes on without it. */
#include "braid/profiler_plugin.h"

#ifdef TEST_PROFILER_WRONG_ABI
__attribute__((visibility("default"))) const struct { const char* name; } ncclProfiler_v0 = {"wrong-abi"};
__attribute__((visibility("default"))) const struct { const char* name; } ncclProfiler_v7 = {"wrong-abi"};
#else
static ncclResult_t failingInit(void** context, uint64_t commId, int* mask, const char* commName, int nNodes,
                                int nranks, int rank, ncclDebugLogger_t log) {
  log(NCCL_LOG_WARN, 0, __FILE__, __LINE__, "failing profiler: refusing communicator %d/%d on purpose", rank, nranks);
  return ncclSystemError;
}
static ncclResult_t neverStart(void* context, void** handle, ncclProfilerEventDescr_v6_t* descr) {
  return ncclInternalError;
}
static ncclResult_t neverStop(void* handle) { return ncclInternalError; }
static ncclResult_t neverRecord(void* handle, ncclProfilerEventState_v6_t state,
                                ncclProfilerEventStateArgs_v6_t* args) {
  return ncclInternalError;
}
static ncclResult_t neverFinalize(void* context) { return ncclInternalError; }
__attribute__((visibility("default"))) ncclProfiler_v6_t ncclProfiler_v6 = {
    "failing-profiler", failingInit, neverStart, neverStop, neverRecord, neverFinalize};
#endif
