// How a call runs, decided here and nowhere else. When a collective is issued: its algorithm and protocol (the
// planner's choice over the communicator's cost model, within BRAID_ALGO, BRAID_PROTO and the tuning file).
// When it starts: the run that executes it (exec/): the LL exchange, a direct run in the ranks' buffers (by
// cross-memory attach, or zero copy where the buffers are shared), or the schedule over the transports, on
// one channel or several.
#pragma once

#include "runtime/work.h"

struct ncclComm;

namespace braid {

// Sets the call's algorithm (shape.algorithm, shape.foldedRails) and protocol.
void planCall(ncclComm* comm, CollectiveCall& call);

struct RunPlan {
  enum Kind {
    LowLatency,   // the LL exchange through the mailboxes
    CrossMemory,  // in the peers' buffers by cross-memory attach
    ZeroCopy,     // in the peers' shared buffers, if all ranks find them shared; else the schedule
    Schedule,     // the schedule over the transports
  } kind;
  int channels = 1;  // the schedule's (also a zero-copy attempt's fallback)
};
// The run for `call`, about to start (a zero-copy attempt counts toward DirectAttempts' backoff).
RunPlan planRun(ncclComm& comm, const CollectiveCall& call);

// What the planner predicts `work` takes (microseconds), for ncclGroupSimulateEnd: the communicator's
// collectives one after another, as planned when issued, then its point-to-point calls.
double predictedMicroseconds(const ncclComm& comm, const CommWork& work);

// Whether a collective issued alone on the NULL stream runs straight from the caller's thread (lone_launch.cc):
// LL, and nothing to stage through device memory, scale, divide or check across the ranks first.
bool runsAlone(const ncclComm& comm, const CollectiveCall& call);

}  // namespace braid
