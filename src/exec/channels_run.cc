#include "exec/channels_run.h"

#include <algorithm>

namespace braid {
namespace {

constexpr size_t kPartAlignment = 4096;  // parts start on page boundaries of the buffers (and cache lines)

size_t alignUp(size_t bytes, size_t to) { return (bytes + to - 1) / to * to; }

}  // namespace

int ChannelsRun::channelsFor(int available, const CollectiveShape& shape, Protocol protocol, size_t elementSize) {
  if (available == 1 || protocol != Protocol::Simple) return 1;
  const CollectiveKind kind = shape.kind;
  if (kind != CollectiveKind::AllReduce && kind != CollectiveKind::Broadcast && kind != CollectiveKind::Reduce)
    return 1;
  const size_t bytes = shape.count * elementSize;
  return static_cast<int>(std::min<size_t>(available, bytes / kMinBytesPerChannel));
}

size_t ChannelsRun::plan(const CollectiveChannels& channelSet, ScheduleCache& schedules,
                         const std::shared_ptr<const NodeLayout>& nodes, const CollectiveShape& shape,
                         size_t elementSize, int channels) {
  first_ = &channelSet.first;
  extra_ = &channelSet.extra;
  helpers_ = channelSet.helpers;
  elementSize_ = elementSize;
  const size_t count = shape.count;
  const size_t align = std::max<size_t>(1, kPartAlignment / elementSize_);
  const size_t perPart = alignUp((count + channels - 1) / channels, align);
  schedules_.clear(), firstElement_.clear(), scratchOffset_.clear();
  size_t scratch = 0;
  for (int c = 0; c < channels; ++c) {
    const size_t first = std::min(count, perPart * c);
    CollectiveShape part = shape;
    part.count = std::min(count, first + perPart) - first;
    schedules_.push_back(schedules.get(part, nodes));
    firstElement_.push_back(first);
    scratchOffset_.push_back(scratch);
    scratch += alignUp(schedules_.back()->scratchCount * elementSize_, 64);
  }
  return scratch;
}

void ChannelsRun::start(const char* input, char* output, char* scratch, ReduceFn reduce, uint64_t tag) {
  const int channels = static_cast<int>(schedules_.size());
  if (static_cast<int>(runs_.size()) < channels) runs_.resize(channels);  // before any helper holds a run
  helperMoves_.assign(channels - 1, 0);
  for (int c = 0; c < channels; ++c) {
    const size_t offset = firstElement_[c] * elementSize_;
    // A Broadcast's non-root ranks may pass no send buffer, a Reduce's no receive buffer.
    const std::vector<char*> buffers = {input ? const_cast<char*>(input) + offset : nullptr,
                                        output ? output + offset : nullptr, scratch + scratchOffset_[c]};
    ChannelConnections& connections = c == 0 ? *first_ : (*extra_)[c - 1];
    runs_[c].observe(c < static_cast<int>(observers_.size()) ? observers_[c] : nullptr);
    runs_[c].start(*schedules_[c], buffers, elementSize_, reduce, connections, tag);
  }
  ownFinished_ = false;
  helpersRunning_ = true;
  for (int c = 1; c < channels; ++c) helpers_->start(c - 1, &runs_[c]);
}

void ChannelsRun::stop() {
  if (!helpersRunning_) return;
  helpersRunning_ = false;
  helpers_->stopAll();
}

Run::Progress ChannelsRun::progress() {
  bool moved = false;
  if (!ownFinished_) {
    const Progress own = runs_[0].progress();
    moved = own.moved, ownFinished_ = own.finished;
  }
  bool all = ownFinished_;
  for (size_t h = 0; h < helperMoves_.size(); ++h) {
    uint64_t moves = 0;
    all &= helpers_->finished(static_cast<int>(h), &moves);
    moved |= moves != helperMoves_[h];
    helperMoves_[h] = moves;
  }
  if (all) helpersRunning_ = false;
  return {all, moved};
}

std::string ChannelsRun::describeWait() const {
  if (!ownFinished_) return "channel 0 of " + std::to_string(schedules_.size()) + ": " + runs_[0].describeWait();
  return "the channel helpers (channels 1 to " + std::to_string(schedules_.size() - 1) + ")";
}

void ChannelsRun::checkPeers() const {
  if (!ownFinished_) runs_[0].checkPeers();
}

}  // namespace braid
