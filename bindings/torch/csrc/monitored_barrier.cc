// monitored_barrier through the group's c10d store: every rank but 0 announces its arrival under a key, rank 0
// waits for each key within the timeout, names the ranks that never came (in Gloo's words) and lets the others go.
#include <chrono>
#include <string>
#include <vector>

#include "process_group_braid.h"

namespace torch_braid {

void ProcessGroupBraid::monitoredBarrier(const c10d::BarrierOptions& opts, bool waitAllRanks) {
  TORCH_CHECK(store_, "braid monitoredBarrier: this group was made by shrink and has no c10d store to meet in");
  using Clock = std::chrono::steady_clock;
  const std::chrono::milliseconds timeout = opts.timeout == c10d::kUnsetTimeout ? timeout_ : opts.timeout;
  const std::string prefix = "braid_monitored_barrier/" + std::to_string(monitoredBarriersCalled_++) + "/";
  const std::string passed = prefix + "passed";
  const int rank = getRank();

  if (rank != 0) {
    store_->set(prefix + std::to_string(rank), std::vector<uint8_t>{1});
    try {
      store_->wait({passed}, timeout);
    } catch (const std::exception& e) {
      TORCH_CHECK(false, "Rank ", rank, " successfully reached monitoredBarrier, but received errors while waiting ",
                  "for send/recv from rank 0. Please check rank 0 logs for faulty rank. (", e.what(), ")");
    }
    return;
  }

  const auto start = Clock::now();
  std::vector<int> missing;
  for (int peer = 1; peer < getSize(); ++peer) {
    const auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    TORCH_CHECK(waitAllRanks || left.count() > 0, "Rank 0 timed out in monitoredBarrier after ", timeout.count(),
                " ms, before it could check rank ", peer, " (ranks before it had arrived)");
    bool arrived = true;
    try {
      // With waitAllRanks, a rank that is already there is still found once the time is up.
      store_->wait({prefix + std::to_string(peer)}, std::max(left, std::chrono::milliseconds(1)));
    } catch (const std::exception&) {
      arrived = false;
    }
    if (arrived) continue;
    TORCH_CHECK(waitAllRanks, "Rank ", peer, " failed to pass monitoredBarrier in ", timeout.count(), " ms");
    missing.push_back(peer);
  }
  if (!missing.empty()) {
    std::string ranks;
    for (int peer : missing) ranks += (ranks.empty() ? "" : ", ") + std::to_string(peer);
    TORCH_CHECK(false, "Ranks ", ranks, " failed to pass monitoredBarrier in ", timeout.count(), " ms");
  }
  store_->set(passed, std::vector<uint8_t>{1});
}

}  // namespace torch_braid
