// Group semantics (ncclGroupStart/End): calls between them are recorded and launched together at the
// outermost ncclGroupEnd; a call outside any group is a group of one.
#pragma once

#include <functional>
#include <string>

#include "nccl.h"
#include "runtime/work.h"

namespace braid {

void groupStart();
void groupEnd();  // launches what was recorded (on the NULL stream: completes before returning)
bool inGroup();
// Ends the group as groupEnd does (deferred inits run), but runs none of its calls: returns the time the
// planner predicts for them, in microseconds (each communicator's calls in turn, communicators side by side).
double groupSimulateEnd();

void enqueueCollective(ncclComm* comm, CollectiveCall&& call, cudaStream_t stream);
void enqueuePointToPoint(ncclComm* comm, PointToPointCall call, void* buffer, cudaStream_t stream);
// Puts, signals and waits (runtime/one_sided.h); inside a group, puts and signals run first, waits last.
void enqueueOneSided(ncclComm* comm, OneSidedCall call, cudaStream_t stream);
// Outside groups only: the sender is known only once its first bytes arrive. Sets *source when done.
void enqueueAnySourceReceive(ncclComm* comm, void* buffer, size_t bytes, int* source, cudaStream_t stream);
// Communicator inits inside a group run concurrently at group end (one thread may init several ranks).
void enqueueInit(ncclComm* comm, std::function<void()> init);
// `comm` is being destroyed or aborted (by `call`) inside this thread's group: what the group recorded on it
// (calls, a pending init) is dropped, as NCCL drops them, and the group's ncclGroupEnd fails saying so.
void dropFromGroup(ncclComm* comm, const char* call);
// A call failed while this thread's group is open: as in NCCL, the group is spoiled. Its ncclGroupEnd runs none
// of its calls (a peer would otherwise get half of an exchange) and fails with this error; deferred inits run.
void failGroup(ncclResult_t code, const std::string& message);

}  // namespace braid
