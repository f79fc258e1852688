#include "simulator.h"

#include <algorithm>
#include <memory>
#include <random>

#include "exec/call_tag.h"
#include "exec/schedule_run.h"
#include "memory_transport.h"

namespace braid::testing {

bool simulate(std::vector<SimulatedRank>& ranks, size_t elementSize, ReduceFn reduce, size_t capacity, uint32_t seed) {
  const int n = static_cast<int>(ranks.size());
  std::vector<ChannelConnections> mesh = memoryMesh(n, capacity, seed);
  std::vector<std::vector<char>> scratch(n);
  std::vector<std::unique_ptr<ScheduleRun>> runs;
  for (int r = 0; r < n; ++r) {
    scratch[r].resize(ranks[r].schedule.scratchCount * elementSize + 1);
    std::vector<char*> buffers = ranks[r].buffers;
    if (buffers.size() <= kScratchBuffer) buffers.resize(kScratchBuffer + 1, nullptr);
    buffers[kScratchBuffer] = scratch[r].data();
    // Tagged, so that the tag's bytes also arrive in random pieces.
    runs.push_back(std::make_unique<ScheduleRun>(ranks[r].schedule, buffers, elementSize, reduce, mesh[r],
                                                 makeCallTag(CollectiveKind::AllReduce, 0x5eed)));
  }
  std::mt19937 rng(seed);
  std::vector<int> order(n);
  for (int r = 0; r < n; ++r) order[r] = r;
  std::vector<bool> finished(n, false);
  int idleRounds = 0;
  for (;;) {
    std::shuffle(order.begin(), order.end(), rng);
    bool moved = false, all = true;
    for (int r : order) {
      if (finished[r]) continue;
      ScheduleRun::Progress p = runs[r]->progress();
      moved |= p.moved;
      finished[r] = p.finished;
      all &= p.finished;
    }
    if (all) return true;
    // Pieces are random, so a round can move nothing by chance; many in a row cannot.
    idleRounds = moved ? 0 : idleRounds + 1;
    if (idleRounds > 64) return false;
  }
}

}  // namespace braid::testing
