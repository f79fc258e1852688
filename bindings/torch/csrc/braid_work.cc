#include "braid_work.h"

#include <stdexcept>

#include "op_queue.h"

namespace torch_braid {

WorkBraid::WorkBraid(int rank, c10d::OpType type, std::string name, std::vector<at::Tensor> outputs)
    : c10d::Work(rank, type),
      name_(std::move(name)),
      outputs_(std::move(outputs)),
      future_(c10::make_intrusive<c10::ivalue::Future>(c10::ListType::create(c10::TensorType::get()))) {}

void WorkBraid::flushQueue() {
  if (std::shared_ptr<OpQueue> queue = queue_.lock()) queue->flush();
}

bool WorkBraid::isCompleted() {
  flushQueue();
  return c10d::Work::isCompleted();
}

bool WorkBraid::wait(std::chrono::milliseconds timeout) {
  flushQueue();
  return c10d::Work::wait(timeout);
}

c10::intrusive_ptr<c10::ivalue::Future> WorkBraid::getFuture() {
  flushQueue();
  return future_;
}

int WorkBraid::sourceRank() const {
  TORCH_CHECK(source_ >= 0, "braid ", name_, ": the source rank is known only for a completed receive from any source");
  return source_;
}

void WorkBraid::complete(ncclResult_t status, const std::string& braidMessage) {
  std::string error = issueError_;
  if (error.empty() && status != ncclSuccess)
    error = std::string(ncclGetErrorString(status)) + (braidMessage.empty() ? "" : ": " + braidMessage);
  if (error.empty() && copyBack_) {
    try {
      copyBack_();
    } catch (const std::exception& e) {
      error = std::string("copying the result back failed: ") + e.what();
    }
  }
  copyBack_ = nullptr;
  if (error.empty()) {
    finish();
    future_->markCompleted(c10::IValue(outputs_));
    return;
  }
  auto exception = std::make_exception_ptr(std::runtime_error("braid " + name_ + " failed: " + error));
  finish(exception);
  future_->setError(exception);
}

}  // namespace torch_braid
