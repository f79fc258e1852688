// BRAID_CPU_AFFINITY: where a rank's calling thread runs. Braid's host device does its copies, reductions and
// waiting on the calling thread, so two ranks that the scheduler happens to put on one core take turns instead
// of running side by side (on the 2-core CI VM, small AllReduce latency doubled in such runs). Values:
//   none (default)  leave the thread's affinity alone
//   core            bind to one core per local rank, by local index, in hwloc's order (cores of a NUMA node
//                   together), within the cores the process may use; left alone when ranks outnumber them
//   numa            bind to the NUMA node of that core (the memory near it), which leaves the thread room to move
// Only the first communicator of a process binds (later ones, splits included, would disagree on the index).
// collperf sets `core` for the ranks it forks (-np) unless BRAID_CPU_AFFINITY is set, as mpirun binds by default.
#pragma once

#include <string>

namespace braid {

enum class CpuAffinity { None, Core, Numa };

// BRAID_CPU_AFFINITY; throws ncclInvalidArgument on a value it does not know (read before init connects
// anything, so a typo fails every rank at once).
CpuAffinity cpuAffinityFromEnv();
// Binds the calling thread for local rank `localIndex` of `localRanks`, each rank owning `coresPerRank`
// consecutive cores (its first for this thread, the others for its channel helpers); returns what it did, for
// the log ("core 1", "NUMA node 0"; "" when nothing).
std::string bindCallingThread(CpuAffinity affinity, int localIndex, int localRanks, int coresPerRank = 1);
// Binds a channel helper (src/exec/channel_helpers.h) to core `core` of hwloc's order, or its NUMA node.
void bindHelperThread(CpuAffinity affinity, int core);
// The NUMA node (hwloc's logical index) that holds every CPU the calling thread may run on; -1 when they span
// several nodes or hwloc cannot tell. Rings within a host visit the ranks of one NUMA node after another.
int callingThreadNumaNode();

}  // namespace braid
