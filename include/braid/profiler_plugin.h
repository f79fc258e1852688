/* The profiler plugin ABIs Braid loads: NCCL's ncclProfiler_v1 to ncclProfiler_v6. A plugin is a shared library
 * exporting `ncclProfiler_vN`; Braid finds it as NCCL does (BRAID_PROFILER_PLUGIN / NCCL_PROFILER_PLUGIN names it,
 * "foo" meaning libnccl-profiler-foo.so, or a path; unset, libnccl-profiler.so is tried; "none" loads nothing) and
 * takes the newest version it exports. Each communicator gets a context (init); Braid then starts and stops events
 * of the types the plugin activated (or whose descendants it activated), records their state changes, and ends
 * with finalize. docs/observability.md says which events Braid emits and when.
 *
 * The layouts are NCCL's (same member types in the same order): a plugin built against NCCL's headers works
 * with Braid and the other way round. */
#ifndef BRAID_PROFILER_PLUGIN_H_
#define BRAID_PROFILER_PLUGIN_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "braid/plugin_log.h"
#include "braid/tuner_plugin.h" /* ncclFunc_t and NCCL's algorithm and protocol numbers, which v1 reports */
#include "nccl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Event types: the bits of the activation mask a plugin sets at init, and an event's `type`. */
enum {
  ncclProfileGroup = (1 << 0),         /* the execution of a group's work on one communicator */
  ncclProfileColl = (1 << 1),          /* one collective, from its start to its end */
  ncclProfileP2p = (1 << 2),           /* one send or receive */
  ncclProfileProxyOp = (1 << 3),       /* a call's traffic with one peer in one direction on one channel */
  ncclProfileProxyStep = (1 << 4),     /* one step of that traffic */
  ncclProfileProxyCtrl = (1 << 5),     /* NCCL's proxy thread: idle, active, asleep */
  ncclProfileKernelCh = (1 << 6),      /* a GPU kernel's work on one channel */
  ncclProfileNetPlugin = (1 << 7),     /* defined by a network plugin */
  ncclProfileGroupApi = (1 << 8),      /* v5: from a group's first call to the end of ncclGroupEnd */
  ncclProfileCollApi = (1 << 9),       /* v5: one collective API call, on the caller's thread */
  ncclProfileP2pApi = (1 << 10),       /* v5: one send or receive API call */
  ncclProfileKernelLaunch = (1 << 11), /* v5: handing a group's work to its stream */
  ncclProfileCeColl = (1 << 12),       /* v6: a collective run by the GPU's copy engines */
  ncclProfileCeSync = (1 << 13),       /* v6: their synchronization */
  ncclProfileCeBatch = (1 << 14)       /* v6: one batch of copies */
};

/* State changes an event goes through (recordEventState). */
typedef enum {
  ncclProfilerProxyOpSendPosted = 0, /* 0-7: v1 to v3's proxy operation states */
  ncclProfilerProxyOpSendRemFifoWait = 1,
  ncclProfilerProxyOpSendTransmitted = 2,
  ncclProfilerProxyOpSendDone = 3,
  ncclProfilerProxyOpRecvPosted = 4,
  ncclProfilerProxyOpRecvReceived = 5,
  ncclProfilerProxyOpRecvTransmitted = 6,
  ncclProfilerProxyOpRecvDone = 7,
  ncclProfilerProxyOpInProgress_v4 = 19,
  ncclProfilerProxyStepSendGPUWait = 8,      /* a send step waits for its data to be ready */
  ncclProfilerProxyStepSendPeerWait_v4 = 20, /* ... for room at the peer */
  ncclProfilerProxyStepSendWait = 9,         /* ... for its bytes to go out */
  ncclProfilerProxyStepRecvWait = 10,        /* a receive step waits for its bytes */
  ncclProfilerProxyStepRecvFlushWait = 11,
  ncclProfilerProxyStepRecvGPUWait = 12,
  ncclProfilerProxyCtrlIdle = 13,
  ncclProfilerProxyCtrlActive = 14,
  ncclProfilerProxyCtrlSleep = 15,
  ncclProfilerProxyCtrlWakeup = 16,
  ncclProfilerProxyCtrlAppend = 17,
  ncclProfilerProxyCtrlAppendEnd = 18,
  ncclProfilerNetPluginUpdate = 21,
  ncclProfilerKernelChStop = 22,
  ncclProfilerGroupStartApiStop = 23, /* v5: the group's calls have been issued */
  ncclProfilerGroupEndApiStart = 24,  /* v5: ncclGroupEnd was entered */
  ncclProfilerCeCollStart = 25,
  ncclProfilerCeCollComplete = 26,
  ncclProfilerCeSyncStart = 27,
  ncclProfilerCeSyncComplete = 28,
  ncclProfilerCeBatchStart = 29,
  ncclProfilerCeBatchComplete = 30
} ncclProfilerEventState_t;

typedef ncclProfilerEventState_t ncclProfilerEventState_v1_t;
typedef ncclProfilerEventState_t ncclProfilerEventState_v2_t;
typedef ncclProfilerEventState_t ncclProfilerEventState_v3_t;
typedef ncclProfilerEventState_t ncclProfilerEventState_v4_t;
typedef ncclProfilerEventState_t ncclProfilerEventState_v5_t;
typedef ncclProfilerEventState_t ncclProfilerEventState_v6_t;

typedef pid_t ncclPid_t;

/* Members every version's proxy descriptors share. */
#define BRAID_PROFILER_PROXY_OP_MEMBERS(pidType)                                                                       \
  struct {                                                                                                             \
    pidType pid; /* of the process that issued the call */                                                             \
    uint8_t channelId;                                                                                                 \
    int peer;                                                                                                          \
    int nSteps;                                                                                                        \
    int chunkSize; /* bytes of one step */                                                                             \
    int isSend;                                                                                                        \
  } proxyOp;                                                                                                           \
  struct {                                                                                                             \
    int step;                                                                                                          \
  } proxyStep;

/* ---- v1: numbers for the function, type, algorithm and protocol; init knows no communicator ---- */
typedef struct {
  uint8_t type;
  void* parentObj; /* the handle of the parent event (a collective's: its group's) */
  int rank;
  union {
    struct {
      const char* name; /* the communicator's name */
      uint64_t commHash;
      uint64_t seqNumber;
      uint8_t func; /* ncclFunc_t */
      void const* sendBuff;
      void* recvBuff;
      size_t count;
      int root;
      uint8_t datatype; /* ncclDataType_t */
      uint32_t op;      /* ncclRedOp_t */
      size_t trafficBytes;
      uint8_t nMaxChannels;
      uint8_t nWarps;
      uint8_t algo;  /* NCCL_ALGO_* */
      uint8_t proto; /* NCCL_PROTO_* */
      int isCollnet;
      int isNvls;
    } coll;
    struct {
      const char* name;
      uint64_t commHash;
      uint8_t func;
      void* buff;
      uint8_t datatype;
      size_t count;
      int peer;
    } p2p;
    BRAID_PROFILER_PROXY_OP_MEMBERS(pid_t)
  };
} ncclProfilerEventDescr_v1_t;

/* v1 to v3: what a state change carries. */
typedef union {
  struct {
    size_t transSize;
    int steps;
  } proxyOp;
  struct {
    int appendedProxyOps;
  } proxyCtrl;
} ncclProfilerEventStateArgs_v1_t;
typedef ncclProfilerEventStateArgs_v1_t ncclProfilerEventStateArgs_v2_t;
typedef ncclProfilerEventStateArgs_v1_t ncclProfilerEventStateArgs_v3_t;

#define BRAID_PROFILER_TABLE(V, INIT_PARAMS)                                                                           \
  typedef struct {                                                                                                     \
    const char* name;                                                                                                  \
    ncclResult_t(*init) INIT_PARAMS;                                                                                   \
    ncclResult_t (*startEvent)(void* context, void** eHandle, ncclProfilerEventDescr_v##V##_t* eDescr);                \
    ncclResult_t (*stopEvent)(void* eHandle);                                                                          \
    ncclResult_t (*recordEventState)(void* eHandle, ncclProfilerEventState_v##V##_t eState,                            \
                                     ncclProfilerEventStateArgs_v##V##_t* eStateArgs);                                 \
    ncclResult_t (*finalize)(void* context);                                                                           \
  } ncclProfiler_v##V##_t;

BRAID_PROFILER_TABLE(1, (void** context, int* eActivationMask))

/* ---- v2: names instead of numbers ---- */
typedef struct {
  uint8_t type;
  void* parentObj;
  int rank;
  union {
    struct {
      const char* name;
      uint64_t commHash;
      uint64_t seqNumber;
      const char* func;
      void const* sendBuff;
      void* recvBuff;
      size_t count;
      int root;
      const char* datatype;
      size_t trafficBytes;
      uint8_t nMaxChannels;
      uint8_t nWarps;
      const char* algo;
      const char* proto;
    } coll;
    struct {
      const char* name;
      uint64_t commHash;
      const char* func;
      void* buff;
      const char* datatype;
      size_t count;
      int peer;
    } p2p;
    BRAID_PROFILER_PROXY_OP_MEMBERS(pid_t)
  };
} ncclProfilerEventDescr_v2_t;

BRAID_PROFILER_TABLE(2, (void** context, int* eActivationMask))

/* ---- v3: no traffic bytes; kernel channel and network plugin events ---- */
typedef struct {
  uint8_t type;
  void* parentObj;
  int rank;
  union {
    struct {
      const char* name;
      uint64_t commHash;
      uint64_t seqNumber;
      const char* func;
      void const* sendBuff;
      void* recvBuff;
      size_t count;
      int root;
      const char* datatype;
      uint8_t nMaxChannels;
      uint8_t nWarps;
      const char* algo;
      const char* proto;
    } coll;
    struct {
      const char* name;
      uint64_t commHash;
      const char* func;
      void* buff;
      const char* datatype;
      size_t count;
      int peer;
    } p2p;
    BRAID_PROFILER_PROXY_OP_MEMBERS(pid_t)
    struct {
      uint8_t channelId;
    } kernelCh;
    struct {
      int64_t id;
      void* data;
    } netPlugin;
  };
} ncclProfilerEventDescr_v3_t;

BRAID_PROFILER_TABLE(3, (void** context, int* eActivationMask))

/* ---- v4: the communicator at init instead of in every event; per-step state arguments ---- */
typedef struct {
  uint8_t type;
  void* parentObj;
  int rank;
  union {
    struct {
      uint64_t seqNumber;
      const char* func;
      void const* sendBuff;
      void* recvBuff;
      size_t count;
      int root;
      const char* datatype;
      uint8_t nChannels;
      uint8_t nWarps;
      const char* algo;
      const char* proto;
    } coll;
    struct {
      const char* func;
      void* buff;
      const char* datatype;
      size_t count;
      int peer;
      uint8_t nChannels;
    } p2p;
    BRAID_PROFILER_PROXY_OP_MEMBERS(ncclPid_t)
    struct {
      uint8_t channelId;
      uint64_t pTimer; /* the GPU's global timer at the channel's start */
    } kernelCh;
    struct {
      int64_t id;
      void* data;
    } netPlugin;
  };
} ncclProfilerEventDescr_v4_t;

typedef union {
  struct {
    size_t transSize; /* bytes the step has moved */
  } proxyStep;
  struct {
    int appendedProxyOps;
  } proxyCtrl;
  struct {
    void* data;
  } netPlugin;
  struct {
    uint64_t pTimer;
  } kernelCh;
} ncclProfilerEventStateArgs_v4_t;

BRAID_PROFILER_TABLE(4, (void** context, int* eActivationMask, const char* commName, uint64_t commHash, int nNodes,
                         int nranks, int rank, ncclDebugLogger_t logfn))

/* ---- v5: API events (group, collective, point-to-point, launch); 64-bit type ---- */
#define BRAID_PROFILER_V5_MEMBERS                                                                                      \
  struct {                                                                                                             \
    bool graphCaptured;                                                                                                \
    int groupDepth;                                                                                                    \
  } groupApi;                                                                                                          \
  struct {                                                                                                             \
    const char* func;                                                                                                  \
    size_t count;                                                                                                      \
    const char* datatype;                                                                                              \
    int root;                                                                                                          \
    void* stream;                                                                                                      \
    bool graphCaptured;                                                                                                \
  } collApi;                                                                                                           \
  struct {                                                                                                             \
    const char* func;                                                                                                  \
    size_t count;                                                                                                      \
    const char* datatype;                                                                                              \
    void* stream;                                                                                                      \
    bool graphCaptured;                                                                                                \
  } p2pApi;                                                                                                            \
  struct {                                                                                                             \
    void* stream;                                                                                                      \
  } kernelLaunch;                                                                                                      \
  struct {                                                                                                             \
    uint64_t seqNumber;                                                                                                \
    const char* func;                                                                                                  \
    void const* sendBuff;                                                                                              \
    void* recvBuff;                                                                                                    \
    size_t count;                                                                                                      \
    int root;                                                                                                          \
    const char* datatype;                                                                                              \
    uint8_t nChannels;                                                                                                 \
    uint8_t nWarps;                                                                                                    \
    const char* algo;                                                                                                  \
    const char* proto;                                                                                                 \
    void* parentGroup; /* parentObj is the CollApi */                                                                  \
  } coll;                                                                                                              \
  struct {                                                                                                             \
    const char* func;                                                                                                  \
    void* buff;                                                                                                        \
    const char* datatype;                                                                                              \
    size_t count;                                                                                                      \
    int peer;                                                                                                          \
    uint8_t nChannels;                                                                                                 \
    void* parentGroup; /* parentObj is the P2pApi */                                                                   \
  } p2p;                                                                                                               \
  BRAID_PROFILER_PROXY_OP_MEMBERS(ncclPid_t)                                                                           \
  struct {                                                                                                             \
    uint8_t channelId;                                                                                                 \
    uint64_t pTimer;                                                                                                   \
  } kernelCh;

typedef struct {
  uint64_t type;
  void* parentObj;
  int rank;
  union {
    BRAID_PROFILER_V5_MEMBERS
    struct {
      int64_t id;
      void* data;
    } netPlugin;
  };
} ncclProfilerEventDescr_v5_t;

typedef union {
  struct {
    size_t transSize;
  } proxyStep;
  struct {
    int appendedProxyOps;
  } proxyCtrl;
  struct {
    void* data;
  } netPlugin;
  struct {
    uint64_t pTimer;
  } kernelCh;
} ncclProfilerEventStateArgs_v5_t;

#define BRAID_PROFILER_V5_INIT_PARAMS                                                                                  \
  (void** context, uint64_t commId, int* eActivationMask, const char* commName, int nNodes, int nranks, int rank,      \
   ncclDebugLogger_t logfn)

BRAID_PROFILER_TABLE(5, BRAID_PROFILER_V5_INIT_PARAMS)

/* ---- v6: copy-engine collectives ---- */
typedef struct {
  uint64_t type;
  void* parentObj;
  int rank;
  union {
    BRAID_PROFILER_V5_MEMBERS
    struct {
      int64_t id;
      void* data;
    } netPlugin;
    struct {
      uint64_t seqNumber;
      const char* func;
      void const* sendBuff;
      void* recvBuff;
      size_t count;
      int root;
      const char* datatype;
      const char* syncStrategy;
      bool intraBatchSync;
      uint32_t batchSize;
      uint32_t numBatches;
      uint32_t ceSeqNum;
      void* stream;
    } ceColl;
    struct {
      bool isComplete;
      int nRanks;
    } ceCollSync;
    struct {
      int numOps;
      size_t totalBytes;
      bool useIntraSync;
    } ceCollBatch;
  };
} ncclProfilerEventDescr_v6_t;

typedef ncclProfilerEventStateArgs_v5_t ncclProfilerEventStateArgs_v6_t;

BRAID_PROFILER_TABLE(6, BRAID_PROFILER_V5_INIT_PARAMS)

#ifdef __cplusplus
}
#endif

#endif /* BRAID_PROFILER_PLUGIN_H_ */
