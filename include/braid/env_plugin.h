/* The environment plugin ABIs Braid loads: NCCL's ncclEnv_v1 and ncclEnv_v2. A plugin is a shared library
 * exporting `ncclEnvPlugin_v2` (or `_v1`); once loaded, every parameter Braid reads (BRAID_X and NCCL_X names, see
 * `braid env`) comes from its getEnv instead of the process environment; a NULL answer means unset. Braid finds it
 * as NCCL does: BRAID_ENV_PLUGIN (alias NCCL_ENV_PLUGIN, read from the process environment) names it ("foo" means
 * libnccl-env-foo.so) or a path; unset, libnccl-env.so is tried; "none" loads nothing. docs/nccl-api.md. */
#ifndef BRAID_ENV_PLUGIN_H_
#define BRAID_ENV_PLUGIN_H_

#include <stdint.h>

#include "braid/plugin_log.h"
#include "nccl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char* name;
  ncclResult_t (*init)(uint8_t ncclMajor, uint8_t ncclMinor, uint8_t ncclPatch, const char* suffix);
  ncclResult_t (*finalize)(void);
  const char* (*getEnv)(const char* name);
} ncclEnv_v1_t;

/* v2: init also takes the logger. */
typedef struct {
  const char* name;
  ncclResult_t (*init)(uint8_t ncclMajor, uint8_t ncclMinor, uint8_t ncclPatch, const char* suffix,
                       ncclDebugLogger_t logFunction);
  ncclResult_t (*finalize)(void);
  const char* (*getEnv)(const char* name);
} ncclEnv_v2_t;

#ifdef __cplusplus
}
#endif

#endif /* BRAID_ENV_PLUGIN_H_ */
