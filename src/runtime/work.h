// Work recorded by the API and executed at group end: per communicator, its collectives in issue order and
// one merged batch of point-to-point calls.
#pragma once

#include <vector>

#include "algorithms/collective.h"
#include "algorithms/direct.h"
#include "nccl.h"
#include "runtime/one_sided.h"
#include "runtime/red_op.h"

struct ncclComm;

namespace braid {

struct CollectiveCall {
  CollectiveShape shape;
  const void* sendbuff;
  void* recvbuff;
  ncclDataType_t type;
  ResolvedOp op;
  Protocol protocol = Protocol::Simple;
  size_t inputCount = 0;     // elements read from sendbuff (what PreMulSum scales)
  size_t outputCount = 0;    // elements of recvbuff holding a reduction result (what integer Avg divides)
  size_t sendSpan = 0;       // elements of sendbuff the call may read, and of recvbuff it may write (from the
  size_t recvSpan = 0;       // start of each): what staging device memory through the host must cover
  void* apiEvent = nullptr;  // its CollApi event's handle, when a profiler plugin wants it (runtime/profiler.h)
};

// A one-sided call (runtime/one_sided.h): a put with its signal, a signal alone, or a wait for signals.
struct OneSidedCall {
  enum Kind { PutSignal, Signal, Wait } kind = PutSignal;
  int peer = 0;
  int context = 0;
  const void* data = nullptr;  // a put's
  size_t bytes = 0;
  PutTarget target;
  std::vector<ncclWaitSignalDesc_t> waits;  // a wait's
};

struct CommWork {
  ncclComm* comm;
  std::vector<CollectiveCall> collectives;
  std::vector<PointToPointCall> pointToPoint;
  std::vector<char*> pointToPointBuffers;
  std::vector<void*> pointToPointApiEvents;  // their P2pApi events' handles (profiler plugins), when wanted
  // Puts and signals run before the collectives and point-to-point calls, waits after them (launch.h).
  std::vector<OneSidedCall> oneSided;
};

}  // namespace braid
