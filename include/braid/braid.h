/* Braid extensions to the NCCL API: what NCCL has no call for. */
#ifndef BRAID_BRAID_H_
#define BRAID_BRAID_H_

#include "nccl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A host stream is an in-order queue of Braid operations with its own worker thread. Collectives given a host
 * stream return at once; braidStreamSynchronize waits for everything queued so far and returns the first error.
 * It is passed wherever NCCL takes a cudaStream_t (a NULL stream means "complete before returning"). */
typedef cudaStream_t braidStream_t;

ncclResult_t braidStreamCreate(braidStream_t* stream);
ncclResult_t braidStreamSynchronize(braidStream_t stream);
ncclResult_t braidStreamDestroy(braidStream_t stream);

/* Queues callback(status, userData) on the stream's worker thread, after everything queued before it. status is
 * the first error of the stream's work since its last synchronize (ncclSuccess if none), as with CUDA's stream
 * callbacks. The callback must not synchronize or destroy its own stream. */
typedef void (*braidStreamCallback_t)(ncclResult_t status, void* userData);
ncclResult_t braidStreamAddCallback(braidStream_t stream, braidStreamCallback_t callback, void* userData);

/* Per-communicator forms of settings NCCL only takes from the environment; call before issuing work.
 * braidCommSetTimeout: seconds without progress before a call fails with ncclTimeout (BRAID_TIMEOUT; 0 = never).
 * braidCommSetCheckCollectives: compare every collective's signature across ranks (BRAID_CHECK_COLLECTIVES). */
ncclResult_t braidCommSetTimeout(ncclComm_t comm, double seconds);
ncclResult_t braidCommSetCheckCollectives(ncclComm_t comm, int enable);

/* The host the library puts `rank` of comm on: hosts are numbered 0, 1, ... in the order of their lowest ranks,
 * and ranks of one host share memory (the same BRAID_HOSTID, or else the same hostname and boot id). Ranks on
 * different hosts talk over the network. Used by collperf's probes and `braid doctor`. */
ncclResult_t braidCommHostOf(ncclComm_t comm, int rank, int* host);

/* Which ranks of comm are gone, for the exclusion list of ncclCommShrink: this rank asks every peer's process
 * directly (its bootstrap listener, which answers whatever its communicator is doing), so no central service is
 * needed and every survivor asks on its own. A peer whose process has exited (its connection is refused or reset)
 * or that does not answer within `seconds` is gone. One peer after another: a round trip each, `seconds` for each
 * silent one. Fills ranks[0..*count) in increasing order; `ranks` holds
 * room for nranks - 1. Works on a failed or revoked communicator. docs/fault-tolerance.md. */
ncclResult_t braidCommFailedRanks(ncclComm_t comm, double seconds, int* ranks, int* count);

/* Receives count elements from whichever peer sends to this rank first (MPI_ANY_SOURCE); *source is set to that
 * peer's rank when the receive completes. Not allowed inside a group; count must be positive, since a zero-byte
 * send cannot be seen. */
ncclResult_t braidRecvAnySource(void* recvbuff, size_t count, ncclDataType_t datatype, int* source, ncclComm_t comm,
                                cudaStream_t stream);

/* AlltoAllv: rank r sends sendcounts[p] elements from sendbuff + sdispls[p] to rank p and receives
 * recvcounts[p] elements from rank p at recvbuff + rdispls[p]. Counts and displacements are in elements. */
ncclResult_t braidAlltoAllv(const void* sendbuff, const size_t sendcounts[], const size_t sdispls[], void* recvbuff,
                            const size_t recvcounts[], const size_t rdispls[], ncclDataType_t datatype, ncclComm_t comm,
                            cudaStream_t stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_BRAID_H_ */
