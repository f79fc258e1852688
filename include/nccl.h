/* Braid: NCCL 2.30 compatible API.
 *
 * Programs written against NCCL 2.30 compile against this header unchanged and link with -lnccl (which resolves
 * to libbraid). As NCCL's header does, it includes <cuda_runtime.h> (and the fp16/bf16/fp8 headers) whenever
 * they are on the include path, so a host-compiled program that gets cudaMalloc from nccl.h builds. Without
 * them, cudaStream_t is declared exactly as CUDA's driver_types.h declares it, so a later
 * #include <cuda_runtime.h> still agrees with it. Functions of NCCL 2.30 that Braid does not provide yet
 * (docs/nccl-api.md) are not declared, so a program that needs them fails at compile time, not at run time. */
/* clang-format off: laid out as NCCL's own header is, which users compare it with. */
#ifndef NCCL_H_
#define NCCL_H_

#if defined(__CUDACC__)
#define BRAID_NCCL_HAS_CUDA_RUNTIME 1
#elif defined(__has_include)
#if __has_include(<cuda_runtime.h>)
#define BRAID_NCCL_HAS_CUDA_RUNTIME 1
#endif
#endif
#ifdef BRAID_NCCL_HAS_CUDA_RUNTIME
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#if CUDART_VERSION >= 11000
#include <cuda_bf16.h>
#endif
#if defined(__cplusplus) && CUDART_VERSION >= 11080
#include <cuda_fp8.h>
#endif
#undef BRAID_NCCL_HAS_CUDA_RUNTIME
#endif
#ifndef __DRIVER_TYPES_H__
typedef struct CUstream_st* cudaStream_t;
#endif

#define NCCL_MAJOR 2
#define NCCL_MINOR 30
#define NCCL_PATCH 7
#define NCCL_SUFFIX "braid"

#define NCCL_VERSION(X, Y, Z) (((X) <= 2 && (Y) <= 8) ? (X)*1000 + (Y)*100 + (Z) : (X)*10000 + (Y)*100 + (Z))
#define NCCL_VERSION_CODE NCCL_VERSION(NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* In C++ the enums callers pass in get a fixed underlying type, so that any value a C caller may pass (an
 * invalid type, a PreMulSum handle) is a valid value to receive and check. Size and values are unchanged. */
#ifdef __cplusplus
#define BRAID_ENUM_BASE : int
#else
#define BRAID_ENUM_BASE
#endif

typedef struct ncclComm* ncclComm_t;
typedef struct ncclWindow_vidmem* ncclWindow_t;
#define NCCL_COMM_NULL NULL

#define NCCL_UNIQUE_ID_BYTES 128
typedef struct {
  char internal[NCCL_UNIQUE_ID_BYTES];
} ncclUniqueId;

typedef enum {
  ncclSuccess = 0,
  ncclUnhandledCudaError = 1,
  ncclSystemError = 2,
  ncclInternalError = 3,
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,
  ncclRemoteError = 6,
  ncclInProgress = 7,
  ncclTimeout = 8,
  ncclNumResults = 9
} ncclResult_t;

#define NCCL_CONFIG_UNDEF_INT INT_MIN
#define NCCL_CONFIG_UNDEF_PTR NULL
#define NCCL_SPLIT_NOCOLOR -1
#define NCCL_UNDEF_FLOAT -1.0f
#define NCCL_API_MAGIC 0xcafebeef

#define NCCL_WIN_DEFAULT 0x00
#define NCCL_WIN_COLL_SYMMETRIC 0x01
#define NCCL_WIN_STRICT_ORDERING 0x02
#define NCCL_WIN_REQUIRED_ALIGNMENT 4096

#define NCCL_CTA_POLICY_DEFAULT 0x00
#define NCCL_CTA_POLICY_EFFICIENCY 0x01
#define NCCL_CTA_POLICY_ZERO 0x02

/* ncclCommShrink flags: DEFAULT on a healthy communicator; ABORT after a failure (the work under way on the
 * parent fails first, and dead ranks are never waited for). */
#define NCCL_SHRINK_DEFAULT 0x00
#define NCCL_SHRINK_ABORT 0x01
/* ncclCommRevoke flags: must be NCCL_REVOKE_DEFAULT. */
#define NCCL_REVOKE_DEFAULT 0x00

/* Communicator configuration (NCCL 2.30 layout). The library reads only the fields that fit in `size` and that
 * the NCCL version in `version` had, so programs built against older layouts keep working. What each field does
 * in Braid: docs/nccl-api.md. */
typedef struct ncclConfig_v23000 {
  size_t size;
  unsigned int magic;
  unsigned int version;
  int blocking;
  int cgaClusterSize;
  int minCTAs;
  int maxCTAs;
  const char* netName;
  int splitShare;
  int trafficClass;
  const char* commName;
  int collnetEnable;
  int CTAPolicy;
  int shrinkShare;
  int nvlsCTAs;
  int nChannelsPerNetPeer;
  int nvlinkCentricSched;
  int graphUsageMode;
  int numRmaCtx;
  int maxP2pPeers;
  int graphStreamOrdering;
} ncclConfig_t;

#define NCCL_CONFIG_INITIALIZER                                                                                        \
  {                                                                                                                    \
    sizeof(ncclConfig_t), NCCL_API_MAGIC, NCCL_VERSION_CODE, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT,             \
        NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_PTR, NCCL_CONFIG_UNDEF_INT,                    \
        NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_PTR, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT,                    \
        NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT,                    \
        NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT, NCCL_CONFIG_UNDEF_INT                     \
  }

/* What ncclGroupSimulateEnd reports: the time the group's calls are predicted to take, in microseconds, from
 * the planner's cost model (the same prediction that chose their algorithms). */
typedef struct ncclSimInfo_v22200 {
  size_t size;
  unsigned int magic;
  unsigned int version;
  float estimatedTime;
} ncclSimInfo_t;

#define NCCL_SIM_INFO_INITIALIZER                                                                                      \
  { sizeof(ncclSimInfo_t), 0x74685283, NCCL_VERSION_CODE, NCCL_UNDEF_FLOAT }

typedef enum { ncclNumOps_dummy = 5 } ncclRedOp_dummy_t;
typedef enum BRAID_ENUM_BASE {
  ncclSum = 0,
  ncclProd = 1,
  ncclMax = 2,
  ncclMin = 3,
  ncclAvg = 4,
  ncclNumOps = 5, /* first handle value used by ncclRedOpCreatePreMulSum */
  ncclMaxRedOp = 0x7fffffff >> (32 - 8 * sizeof(ncclRedOp_dummy_t))
} ncclRedOp_t;

typedef enum BRAID_ENUM_BASE {
  ncclInt8 = 0,
  ncclChar = 0,
  ncclUint8 = 1,
  ncclInt32 = 2,
  ncclInt = 2,
  ncclUint32 = 3,
  ncclInt64 = 4,
  ncclUint64 = 5,
  ncclFloat16 = 6,
  ncclHalf = 6,
  ncclFloat32 = 7,
  ncclFloat = 7,
  ncclFloat64 = 8,
  ncclDouble = 8,
  ncclBfloat16 = 9,
  ncclFloat8e4m3 = 10,
  ncclFloat8e5m2 = 11,
  ncclNumTypes = 12
} ncclDataType_t;

typedef enum BRAID_ENUM_BASE { ncclScalarDevice = 0, ncclScalarHostImmediate = 1 } ncclScalarResidence_t;

/* Every entry point also exists with a `p` prefix (the NCCL profiling interface). */
#define BRAID_NCCL_DECLARE(ret, name, args)                                                                            \
  ret name args;                                                                                                       \
  ret p##name args

BRAID_NCCL_DECLARE(ncclResult_t, ncclMemAlloc, (void** ptr, size_t size));
BRAID_NCCL_DECLARE(ncclResult_t, ncclMemFree, (void* ptr));
BRAID_NCCL_DECLARE(ncclResult_t, ncclGetVersion, (int* version));
BRAID_NCCL_DECLARE(ncclResult_t, ncclGetUniqueId, (ncclUniqueId * uniqueId));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommInitRankConfig,
                   (ncclComm_t * comm, int nranks, ncclUniqueId commId, int rank, ncclConfig_t* config));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommInitRank, (ncclComm_t * comm, int nranks, ncclUniqueId commId, int rank));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommInitAll, (ncclComm_t * comm, int ndev, const int* devlist));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommInitRankScalable,
                   (ncclComm_t * newcomm, int nranks, int myrank, int nId, ncclUniqueId* commIds,
                    ncclConfig_t* config));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommFinalize, (ncclComm_t comm));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommDestroy, (ncclComm_t comm));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommAbort, (ncclComm_t comm));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommSplit,
                   (ncclComm_t comm, int color, int key, ncclComm_t* newcomm, ncclConfig_t* config));
/* Fault tolerance (docs/fault-tolerance.md). Revoke: every call under way fails promptly, every later one at
 * once; returns once the communicator is quiescent. Shrink: every rank not in excludeRanksList calls it; the new
 * communicator numbers them in order and depends on no excluded rank. */
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommRevoke, (ncclComm_t comm, int revokeFlags));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommShrink,
                   (ncclComm_t comm, int* excludeRanksList, int excludeRanksCount, ncclComm_t* newcomm,
                    ncclConfig_t* config, int shrinkFlags));
/* Grow (2.29): existing ranks pass comm and rank -1 (the one that made the id with ncclCommGetUniqueId passes
 * it, the others NULL) and keep their numbers; new ranks pass comm NULL, the id and a rank from the old size up
 * to nRanks - 1. */
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommGetUniqueId, (ncclComm_t comm, ncclUniqueId* uniqueId));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommGrow,
                   (ncclComm_t comm, int nRanks, const ncclUniqueId* uniqueId, int rank, ncclComm_t* newcomm,
                    ncclConfig_t* config));
BRAID_NCCL_DECLARE(const char*, ncclGetErrorString, (ncclResult_t result));
BRAID_NCCL_DECLARE(const char*, ncclGetLastError, (ncclComm_t comm));
/* Re-reads the logging variables (BRAID_DEBUG, BRAID_DEBUG_SUBSYS, BRAID_DEBUG_FILE and their NCCL_ names).
 * As in NCCL's header, declared only where NCCL_OS_LINUX is defined, and a no-op macro elsewhere. */
#ifdef NCCL_OS_LINUX
__attribute__((
    deprecated("ncclResetDebugInit is not supported as part of the NCCL API and will be removed in "
               "the future"))) void
ncclResetDebugInit(void);
__attribute__((
    deprecated("pncclResetDebugInit is not supported as part of the NCCL API and will be removed in "
               "the future"))) void
pncclResetDebugInit(void);
#else
#define ncclResetDebugInit()
#define pncclResetDebugInit()
#endif
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommGetAsyncError, (ncclComm_t comm, ncclResult_t* asyncError));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommCount, (const ncclComm_t comm, int* count));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommCuDevice, (const ncclComm_t comm, int* device));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommUserRank, (const ncclComm_t comm, int* rank));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommRegister, (const ncclComm_t comm, void* buff, size_t size, void** handle));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommDeregister, (const ncclComm_t comm, void* handle));
/* Suspending: no work until ncclCommResume; NCCL_SUSPEND_MEM also gives back the memory allocated on demand.
 * ncclCommMemStats reports it (on the host device the "GPU memory" is host memory). docs/nccl-api.md. */
#define NCCL_SUSPEND_MEM 0x01
typedef enum {
  ncclStatGpuMemSuspend = 0,   /* bytes a suspend with NCCL_SUSPEND_MEM gives back */
  ncclStatGpuMemSuspended = 1, /* 1 while suspended */
  ncclStatGpuMemPersist = 2,   /* bytes held until destroy */
  ncclStatGpuMemTotal = 3
} ncclCommMemStat_t;
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommSuspend, (ncclComm_t comm, int flags));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommResume, (ncclComm_t comm));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommMemStats, (ncclComm_t comm, ncclCommMemStat_t stat, uint64_t* value));
/* Memory windows, collective on every rank (NCCL_WIN_* flags; NCCL_WIN_COLL_SYMMETRIC needs equal sizes). The
 * buffer becomes peer-mappable as registered buffers are; not allowed inside a group. */
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommWindowRegister,
                   (ncclComm_t comm, void* buff, size_t size, ncclWindow_t* win, int winFlags));
BRAID_NCCL_DECLARE(ncclResult_t, ncclCommWindowDeregister, (ncclComm_t comm, ncclWindow_t win));
BRAID_NCCL_DECLARE(ncclResult_t, ncclWinGetUserPtr, (ncclComm_t comm, ncclWindow_t win, void** outUserPtr));
BRAID_NCCL_DECLARE(ncclResult_t, ncclRedOpCreatePreMulSum,
                   (ncclRedOp_t * op, void* scalar, ncclDataType_t datatype, ncclScalarResidence_t residence,
                    ncclComm_t comm));
BRAID_NCCL_DECLARE(ncclResult_t, ncclRedOpDestroy, (ncclRedOp_t op, ncclComm_t comm));

BRAID_NCCL_DECLARE(ncclResult_t, ncclReduce,
                   (const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, ncclRedOp_t op,
                    int root, ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclBcast,
                   (void* buff, size_t count, ncclDataType_t datatype, int root, ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclBroadcast,
                   (const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, int root,
                    ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclAllReduce,
                   (const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, ncclRedOp_t op,
                    ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclReduceScatter,
                   (const void* sendbuff, void* recvbuff, size_t recvcount, ncclDataType_t datatype, ncclRedOp_t op,
                    ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclAllGather,
                   (const void* sendbuff, void* recvbuff, size_t sendcount, ncclDataType_t datatype, ncclComm_t comm,
                    cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclAlltoAll,
                   (const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, ncclComm_t comm,
                    cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclGather,
                   (const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, int root,
                    ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclScatter,
                   (const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, int root,
                    ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclSend,
                   (const void* sendbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                    cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclRecv,
                   (void* recvbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                    cudaStream_t stream));

/* One-sided calls (NCCL 2.29) into windows registered with ncclCommWindowRegister: ncclPutSignal writes count
 * elements into rank peer's part of peerWin at byte offset peerWinOffset, then signals it; ncclSignal signals
 * alone; ncclWaitSignal returns (on the stream) once each descriptor's opCnt signals from its peer on its context
 * have arrived, the data of their puts in place. Between one pair of ranks on one context, data and signals
 * arrive in program order. sigIdx and flags must be 0; ctx is below the config's numRmaCtx (default 1). */
typedef struct {
  int opCnt;
  int peer;
  int sigIdx;
  int ctx;
} ncclWaitSignalDesc_t;
BRAID_NCCL_DECLARE(ncclResult_t, ncclPutSignal,
                   (const void* localbuff, size_t count, ncclDataType_t datatype, int peer, ncclWindow_t peerWin,
                    size_t peerWinOffset, int sigIdx, int ctx, unsigned int flags, ncclComm_t comm,
                    cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclSignal,
                   (int peer, int sigIdx, int ctx, unsigned int flags, ncclComm_t comm, cudaStream_t stream));
BRAID_NCCL_DECLARE(ncclResult_t, ncclWaitSignal,
                   (int nDesc, ncclWaitSignalDesc_t* signalDescs, ncclComm_t comm, cudaStream_t stream));

/* Parameters (NCCL 2.30's parameter access) over Braid's parameter registry: keys are Braid's BRAID_ names
 * (`braid env` lists them) or their NCCL_ aliases. Values are those in effect: set, or the default; text is ""
 * when unset and without a default. Returned strings and tables stay valid until the calling thread's next call
 * of the same function. The typed getters fail with ncclInvalidArgument when the value is no integer or does
 * not fit the type; ncclParamGet copies the text (without its terminating NUL) and fails if maxLen is short. */
typedef struct ncclParamHandle* ncclParamHandle_t;
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamBind, (ncclParamHandle_t * out, const char* key));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetI8, (ncclParamHandle_t h, int8_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetI16, (ncclParamHandle_t h, int16_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetI32, (ncclParamHandle_t h, int32_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetI64, (ncclParamHandle_t h, int64_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetU8, (ncclParamHandle_t h, uint8_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetU16, (ncclParamHandle_t h, uint16_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetU32, (ncclParamHandle_t h, uint32_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetU64, (ncclParamHandle_t h, uint64_t* out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetStr, (ncclParamHandle_t h, const char** out));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGet, (ncclParamHandle_t h, void* out, int maxLen, int* len));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetParameter, (const char* key, const char** value, int* valueLen));
BRAID_NCCL_DECLARE(ncclResult_t, ncclParamGetAllParameterKeys, (const char*** table, int* tableLen));
BRAID_NCCL_DECLARE(void, ncclParamDumpAll, (void));

BRAID_NCCL_DECLARE(ncclResult_t, ncclGroupStart, (void));
BRAID_NCCL_DECLARE(ncclResult_t, ncclGroupEnd, (void));
/* Ends the group without running it: the calls recorded since ncclGroupStart are dropped and simInfo's
 * estimatedTime says how long the planner predicts they would take (microseconds). */
BRAID_NCCL_DECLARE(ncclResult_t, ncclGroupSimulateEnd, (ncclSimInfo_t * simInfo));

#undef BRAID_NCCL_DECLARE
#undef BRAID_ENUM_BASE

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NCCL_H_ */
/* clang-format on */
