// One thread per process that makes communicators observable without disturbing them: it answers peers'
// status queries on each member's bootstrap listener, takes peers' failure notices there, and dumps every
// member's state to the log on SIGUSR1 (`kill -USR1 <pid>`; BRAID_DUMP_SIGNAL=0 leaves the signal alone). What a
// member reports and does with a notice comes from the layer above (the runtime's communicator), through
// functions it registers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "bootstrap/bootstrap.h"
#include "bootstrap/bootstrap_messages.h"

namespace braid {

class Bootstrap;

// A member's status as it answers queries: its rank, collectives issued/completed, what it waits for.
using StatusReporter = std::function<StatusReply()>;

// After init: `bootstrap`'s listener answers with what `reporter` says and hands peers' failure notices to
// `onFailure`; dumps name the member `name` (the config's commName; may be empty). Before destroy: unregister,
// which waits if the thread is using it.
void registerForStatus(Bootstrap* bootstrap, std::string name, StatusReporter reporter,
                       Bootstrap::FailureHandler onFailure);
void unregisterForStatus(Bootstrap* bootstrap);

// One line describing a member: rank, collectives issued/completed, what it waits for.
std::string describeStatus(const StatusReply& status, int nranks);

// Asks every peer for its status and logs a summary naming the ranks that have not reached collective
// `issuedHere` (this rank's current one). Used when an operation times out.
std::string clusterSummary(Bootstrap& bootstrap, uint64_t issuedHere);

}  // namespace braid
