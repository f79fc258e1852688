// Launches: the work of a group (or of a call outside one) run to completion over the communicators' runs, all
// of them driven from one loop (launch.cc, launch_driver.h); a lone LL call straight from the caller's thread
// (lone_launch.cc); a receive from whichever peer sends first.
#pragma once

#include <vector>

#include "runtime/work.h"

namespace braid {

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
