/* An environment plugin for the tests (ncclEnv_v2, or ncclEnv_v1 when built with TEST_ENV_V1): it answers
 * BRAID_SHM_SLOTS with 12 and NCCL_SOCKET_NTHREADS with 2, whatever the process environment says, and passes
 * every other name on to it. Built with TEST_ENV_FAIL, its init fails. */
#include <stdlib.h>
#include <string.h>

#include "braid/env_plugin.h"

static const char* getEnv(const char* name) {
  if (strcmp(name, "BRAID_SHM_SLOTS") == 0) return "12";
  if (strcmp(name, "NCCL_SOCKET_NTHREADS") == 0) return "2";
  return getenv(name);
}

static ncclResult_t finalize(void) { return ncclSuccess; }

#ifdef TEST_ENV_FAIL
static const ncclResult_t initResult = ncclSystemError;
#else
static const ncclResult_t initResult = ncclSuccess;
#endif

#ifdef TEST_ENV_V1
static ncclResult_t init(uint8_t major, uint8_t minor, uint8_t patch, const char* suffix) {
  (void)major, (void)minor, (void)patch, (void)suffix;
  return initResult;
}
__attribute__((visibility("default"))) const ncclEnv_v1_t ncclEnvPlugin_v1 = {"test-env-v1", init, finalize, getEnv};
#else
static ncclResult_t init(uint8_t major, uint8_t minor, uint8_t patch, const char* suffix, ncclDebugLogger_t logger) {
  (void)major, (void)minor, (void)patch, (void)suffix;
  if (logger) logger(NCCL_LOG_INFO, 0, __FILE__, __LINE__, "test environment plugin for NCCL %d.%d", major, minor);
  return initResult;
}
__attribute__((visibility("default"))) const ncclEnv_v2_t ncclEnvPlugin_v2 = {"test-env", init, finalize, getEnv};
#endif
