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

/* AlltoAllv: rank r sends sendcounts[p] elements from sendbuff + sdispls[p] to rank p and receives
 * recvcounts[p] elements from rank p at recvbuff + rdispls[p]. Counts and displacements are in elements. */
ncclResult_t braidAlltoAllv(const void* sendbuff, const size_t sendcounts[], const size_t sdispls[], void* recvbuff,
                            const size_t recvcounts[], const size_t rdispls[], ncclDataType_t datatype,
                            ncclComm_t comm, cudaStream_t stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_BRAID_H_ */
