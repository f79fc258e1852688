#include "exec/channel_helpers.h"

#include "base/error.h"
#include "base/idle_waiter.h"

namespace braid {

ChannelHelpers::ChannelHelpers(int count, bool oversubscribed, Doorbell* doorbell, CpuAffinity affinity, int firstCore)
    : oversubscribed_(oversubscribed), doorbell_(doorbell) {
  for (int h = 0; h < count; ++h) helpers_.push_back(std::make_unique<Helper>());
  for (int h = 0; h < count; ++h)
    helpers_[h]->thread = std::thread([this, h, affinity, firstCore] { serve(*helpers_[h], affinity, firstCore + h); });
}

ChannelHelpers::~ChannelHelpers() {
  stopAll();
  for (auto& helper : helpers_) {
    {
      std::lock_guard<std::mutex> lock(helper->mutex);
      helper->quit = true;
    }
    helper->changed.notify_one();
    helper->thread.join();
  }
}

void ChannelHelpers::start(int h, Run* run) {
  Helper& helper = *helpers_[h];
  {
    std::lock_guard<std::mutex> lock(helper.mutex);
    helper.error = nullptr;
    helper.stop.store(false, std::memory_order_relaxed);
    helper.over.store(false, std::memory_order_relaxed);
    helper.run = run;
  }
  helper.changed.notify_one();
}

bool ChannelHelpers::finished(int h, uint64_t* moves) const {
  const Helper& helper = *helpers_[h];
  *moves = helper.moves.load(std::memory_order_relaxed);
  if (!helper.over.load(std::memory_order_acquire)) return false;
  if (helper.error) std::rethrow_exception(helper.error);
  return true;
}

void ChannelHelpers::stopAll() {
  for (auto& helper : helpers_) helper->stop.store(true, std::memory_order_relaxed);
  for (auto& helper : helpers_) {
    std::unique_lock<std::mutex> lock(helper->mutex);
    helper->changed.wait(lock, [&] { return helper->run == nullptr; });
  }
}

void ChannelHelpers::serve(Helper& helper, CpuAffinity affinity, int core) {
  bindHelperThread(affinity, core);
  std::unique_lock<std::mutex> lock(helper.mutex);
  for (;;) {
    helper.changed.wait(lock, [&] { return helper.run != nullptr || helper.quit; });
    if (helper.quit) return;
    Run* run = helper.run;
    lock.unlock();
    drive(helper, *run);
    lock.lock();
    helper.run = nullptr;
    helper.over.store(true, std::memory_order_release);
    helper.changed.notify_all();  // stopAll() may wait for this
    if (doorbell_) doorbell_->ringIfSleeping();
  }
}

void ChannelHelpers::drive(Helper& helper, Run& run) {
  IdleWaiter waiter(oversubscribed_, nullptr);  // the calling thread sleeps on the rank's doorbell, not helpers
  try {
    while (!helper.stop.load(std::memory_order_relaxed)) {
      const Run::Progress p = run.progress();
      if (p.moved) {
        helper.moves.fetch_add(1, std::memory_order_relaxed);
        waiter.moved();
      }
      if (p.finished) return;
      if (p.moved) continue;
      waiter.wait();
      if (waiter.checkDue()) run.checkPeers();
    }
  } catch (...) {
    helper.error = std::current_exception();
  }
}

}  // namespace braid
