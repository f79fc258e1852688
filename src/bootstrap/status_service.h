// One thread per process that makes communicators observable without disturbing them: it answers peers'
// status queries on each communicator's bootstrap listener, and dumps every communicator's state to the log
// on SIGUSR1 (`kill -USR1 <pid>`; BRAID_DUMP_SIGNAL=0 leaves the signal alone).
#pragma once

#include <string>

struct ncclComm;

namespace braid {

void registerForStatus(ncclComm* comm);    // after init
void unregisterForStatus(ncclComm* comm);  // before destroy; waits if the thread is using it

// One line describing `comm` now: rank, collectives issued/completed, what it waits for.
std::string describeStatus(ncclComm* comm);

// Asks every peer of `comm` for its status and logs a summary naming the ranks that have not reached this
// rank's current collective. Used when an operation times out.
std::string clusterSummary(ncclComm* comm);

}  // namespace braid
