// Work recorded by the API and executed at group end: per communicator, its collectives in issue order and
// one merged batch of point-to-point calls.
#pragma once

#include <vector>

#include "algorithms/collective.h"
#include "algorithms/direct.h"
#include "runtime/red_op.h"
#include "nccl.h"

struct ncclComm;

namespace braid {

struct CollectiveCall {
  CollectiveShape shape;
  const void* sendbuff;
  void* recvbuff;
  ncclDataType_t type;
  ResolvedOp op;
  Protocol protocol = Protocol::Simple;
  size_t inputCount = 0;   // elements read from sendbuff (what PreMulSum scales)
  size_t outputCount = 0;  // elements of recvbuff holding a reduction result (what integer Avg divides)
  size_t sendSpan = 0;     // elements of sendbuff the call may read, and of recvbuff it may write (from the
  size_t recvSpan = 0;     // start of each): what staging device memory through the host must cover
};

struct CommWork {
  ncclComm* comm;
  std::vector<CollectiveCall> collectives;
  std::vector<PointToPointCall> pointToPoint;
  std::vector<char*> pointToPointBuffers;
};

// Runs the work to completion, driving all communicators together (it sorts `work` by communicator, the lock
// order); throws on failure after recording the error on the communicator concerned.
void executeWork(std::vector<CommWork>& work);

// Runs a collective issued alone on the NULL stream straight away when it takes the LL protocol and needs
// nothing but the exchange (no staging through device memory, scaling, division or signature check); returns
// false, having done nothing, for any other: those go through executeWork.
bool executeAlone(ncclComm* comm, const CollectiveCall& call);

// Receives `bytes` into `buffer` from whichever peer's point-to-point stream has data first (MPI_ANY_SOURCE);
// returns that peer.
int receiveFromAnySource(ncclComm* comm, void* buffer, size_t bytes);

}  // namespace braid
