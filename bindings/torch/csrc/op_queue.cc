#include "op_queue.h"

#include <algorithm>
#include <stdexcept>

namespace torch_braid {

namespace {
struct Completion {
  c10::intrusive_ptr<WorkBraid> work;
  ncclComm_t comm;
  OpQueue::Issue issue;  // holds the buffers the stream may still use
};
}  // namespace

OpQueue::OpQueue(ncclComm_t comm, braidStream_t stream, double timeoutSeconds)
    : comm_(comm), stream_(stream), defaultTimeout_(timeoutSeconds) {
  check(braidCommSetTimeout(comm_, timeoutSeconds));
}

OpQueue::~OpQueue() { close(Closing::Finish); }

ncclComm_t OpQueue::comm() const {
  const char* closedBy = closedBy_.load();
  TORCH_CHECK(!closedBy, "braid: the process group was ", closedBy);
  return comm_;
}

void OpQueue::close(Closing how) {
  std::vector<Pending> held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closedBy_) return;
    closedBy_ = how == Closing::Abort ? "aborted" : "shut down";
    if (how == Closing::Finish) issuePending();
    held.swap(pending_);
  }
  for (Pending& op : held) op.work->complete(ncclInvalidUsage, "the process group was aborted before it was issued");
  bool failed = how == Closing::Abort;
  if (failed) ncclCommRevoke(comm_, NCCL_REVOKE_DEFAULT);  // work under way fails instead of waiting for peers
  if (braidStreamSynchronize(stream_) != ncclSuccess) failed = true;
  ncclResult_t asyncError = ncclSuccess;
  ncclCommGetAsyncError(comm_, &asyncError);
  if (failed || asyncError != ncclSuccess) ncclCommAbort(comm_);
  else ncclCommDestroy(comm_);
  braidStreamDestroy(stream_);
}

ncclResult_t OpQueue::synchronize() { return braidStreamSynchronize(stream_); }

void OpQueue::setDefaultTimeout(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_CHECK(!closedBy_.load(), "braid setTimeout: the process group was ", closedBy_.load());
  issuePending();
  defaultTimeout_ = seconds;
  timeoutFromHere(seconds);
}

namespace {
struct TimeoutSetting {
  ncclComm_t comm;
  double seconds;
};
}  // namespace

void OpQueue::timeoutFromHere(double seconds) {
  auto* setting = new TimeoutSetting{comm_, seconds};
  const auto apply = [](ncclResult_t, void* userData) {
    std::unique_ptr<TimeoutSetting> s(static_cast<TimeoutSetting*>(userData));
    braidCommSetTimeout(s->comm, s->seconds);
  };
  if (braidStreamAddCallback(stream_, apply, setting) != ncclSuccess) {
    delete setting;
    check(ncclInternalError);
  }
}

void OpQueue::check(ncclResult_t result) const {
  if (result != ncclSuccess) throw std::runtime_error(ncclGetLastError(comm_));
}

void OpQueue::submit(const c10::intrusive_ptr<WorkBraid>& work, Issue issue, Kind kind, double timeoutSeconds) {
  std::string error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    TORCH_CHECK(!closedBy_.load(), "braid ", work->name(), ": the process group was ", closedBy_.load());
    if (kind == Kind::AnySource)
      TORCH_CHECK(!coalescing_, "braid ", work->name(), ": a receive from any source cannot be coalesced");
    if (coalescing_ || kind == Kind::PointToPoint) {
      if (!coalescing_) work->setQueue(weak_from_this());
      pending_.push_back({work, std::move(issue), timeoutSeconds});
      return;
    }
    issuePending();
    if (kind == Kind::AnySource) {
      try {
        issue(comm_, stream_);  // on its own: Braid refuses it inside a group
      } catch (const std::exception& e) {
        work->setIssueError(error = e.what());
      }
      queueCompletion(work, std::move(issue));
    } else {
      error = issueGroup({{work, std::move(issue), timeoutSeconds}});
    }
  }
  TORCH_CHECK(error.empty(), "braid ", work->name(), ": ", error);
}

void OpQueue::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!coalescing_) issuePending();
}

void OpQueue::startCoalescing() {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_CHECK(!coalescing_, "braid: coalescing blocks cannot be nested");
  issuePending();
  coalescing_ = true;
}

void OpQueue::endCoalescing() {
  std::lock_guard<std::mutex> lock(mutex_);
  TORCH_CHECK(coalescing_, "braid: endCoalescing without startCoalescing");
  coalescing_ = false;
  issuePending();
}

void OpQueue::issuePending() {
  std::vector<Pending> ops;
  ops.swap(pending_);
  issueGroup(std::move(ops));  // errors stay with each work, for wait() to raise
}

std::string OpQueue::issueGroup(std::vector<Pending> ops) {
  if (ops.empty()) return "";
  // Operations with a timeout of their own: the group runs under the longest of them.
  double timeout = -1;
  for (const Pending& op : ops) timeout = std::max(timeout, op.timeoutSeconds);
  if (timeout >= 0) timeoutFromHere(timeout);
  std::string firstError;
  ncclGroupStart();
  for (Pending& op : ops) {
    try {
      op.issue(comm_, stream_);
    } catch (const std::exception& e) {
      op.work->setIssueError(e.what());
      if (firstError.empty()) firstError = e.what();
    }
  }
  if (ncclGroupEnd() != ncclSuccess) {
    const std::string message = ncclGetLastError(comm_);
    for (Pending& op : ops) op.work->setIssueError(message);
    if (firstError.empty()) firstError = message;
  }
  // Every work completes on the stream, even a failed one: what was queued may still use its tensors.
  for (Pending& op : ops) queueCompletion(op.work, std::move(op.issue));
  if (timeout >= 0) timeoutFromHere(defaultTimeout_);
  return firstError;
}

void OpQueue::queueCompletion(const c10::intrusive_ptr<WorkBraid>& work, Issue issue) {
  auto* completion = new Completion{work, comm_, std::move(issue)};
  if (braidStreamAddCallback(stream_, &OpQueue::onStreamReached, completion) != ncclSuccess) {
    work->complete(ncclInternalError, ncclGetLastError(nullptr));
    delete completion;
  }
}

void OpQueue::onStreamReached(ncclResult_t status, void* userData) {
  std::unique_ptr<Completion> completion(static_cast<Completion*>(userData));
  completion->work->complete(status, status == ncclSuccess ? "" : ncclGetLastError(completion->comm));
}

}  // namespace torch_braid
