#include "braid_work.h"

#include <stdexcept>

#include <c10/util/Exception.h>
#include <torch/version.h>

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

namespace {

// What wait() raises: torch 2.x's DistBackendError (a RuntimeError in Python), as ProcessGroupNCCL raises.
std::exception_ptr backendError(const std::string& message) {
#if TORCH_VERSION_MAJOR >= 2
  return std::make_exception_ptr(c10::DistBackendError(c10::SourceLocation{__func__, __FILE__, __LINE__}, message));
#else
  return std::make_exception_ptr(std::runtime_error(message));
#endif
}

}  // namespace

void WorkBraid::complete(ncclResult_t status, const std::string& braidMessage) {
  std::string error = issueError_;
  // A timeout says "Timed out" first, in the words torch's own backends use and its tests look for.
  if (error.empty() && status == ncclTimeout) error = "Timed out (the group's timeout): " + braidMessage;
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
  auto exception = backendError("braid " + name_ + " failed: " + error);
  finish(exception);
  future_->setError(exception);
}

}  // namespace torch_braid
