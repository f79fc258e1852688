#include "base/cpu_affinity.h"

#include <hwloc.h>

#include <atomic>
#include <memory>

#include "base/params.h"

namespace braid {
namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using Topology = std::unique_ptr<hwloc_topology, TopologyDeleter>;

// This process's view: only the cores it is allowed to run on (cgroups, taskset).
Topology loadTopology() {
  hwloc_topology_t t = nullptr;
  if (hwloc_topology_init(&t) != 0) return nullptr;
  Topology topology(t);
  if (hwloc_topology_load(t) != 0) return nullptr;
  return topology;
}

std::atomic<bool> bound{false};

// Loaded once per process (a few milliseconds); hwloc's queries on a loaded topology are thread-safe.
hwloc_topology* sharedTopology() {
  static Topology topology = loadTopology();
  return topology.get();
}

const param::Choice kCpuAffinity{"CPU_AFFINITY",
                                 param::kBraidOnly,
                                 "none",
                                 {"none", "core", "numa"},
                                 "binds each local rank's calling thread to a core of its own, or its NUMA node"};

}  // namespace

CpuAffinity cpuAffinityFromEnv() {
  const std::string mode = kCpuAffinity.get();
  if (mode == "core") return CpuAffinity::Core;
  if (mode == "numa") return CpuAffinity::Numa;
  return CpuAffinity::None;
}

namespace {

// Binds the calling thread to core `index` (hwloc's order) or its NUMA node; returns what it did.
std::string bindToCore(hwloc_topology* t, CpuAffinity affinity, int index) {
  hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(index));
  if (!core) return "";
  hwloc_obj_t target = core;
  if (affinity == CpuAffinity::Numa) {
    hwloc_obj_t node = hwloc_get_obj_covering_cpuset(t, core->cpuset);
    while (node && node->memory_arity == 0) node = node->parent;  // the object that holds the NUMA node
    if (!node) return "";
    target = node;
  }
  if (hwloc_set_cpubind(t, target->cpuset, HWLOC_CPUBIND_THREAD) != 0) return "";
  return affinity == CpuAffinity::Core ? "core " + std::to_string(core->logical_index)
                                       : "NUMA node " + std::to_string(target->memory_first_child->logical_index);
}

}  // namespace

std::string bindCallingThread(CpuAffinity affinity, int localIndex, int localRanks, int coresPerRank) {
  if (affinity == CpuAffinity::None || bound.exchange(true)) return "";
  hwloc_topology* t = sharedTopology();
  if (!t) return "";
  const int cores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
  if (cores <= 0 || localRanks * coresPerRank > cores) return "";  // oversubscribed: let the scheduler balance
  return bindToCore(t, affinity, localIndex * coresPerRank);
}

void bindHelperThread(CpuAffinity affinity, int core) {
  hwloc_topology* t = affinity == CpuAffinity::None ? nullptr : sharedTopology();
  if (t && core < hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE)) bindToCore(t, affinity, core);
}

int callingThreadNumaNode() {
  hwloc_topology* t = sharedTopology();
  if (!t) return -1;
  std::unique_ptr<hwloc_bitmap_s, void (*)(hwloc_bitmap_t)> cpus(hwloc_bitmap_alloc(), hwloc_bitmap_free);
  if (!cpus || hwloc_get_cpubind(t, cpus.get(), HWLOC_CPUBIND_THREAD) != 0) return -1;
  const int nodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < nodes; ++i) {
    hwloc_obj_t node = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    if (node->cpuset && hwloc_bitmap_isincluded(cpus.get(), node->cpuset)) return i;
  }
  return -1;
}

}  // namespace braid
