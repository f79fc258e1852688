// The Work object torch hands back for every operation. It completes on the host stream's thread, after the
// operation (and any copy back into the caller's tensors) is done, and carries the error if it failed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include "nccl.h"

namespace torch_braid {

class OpQueue;

class WorkBraid : public c10d::Work {
 public:
  // `outputs` are what result() and the future report.
  WorkBraid(int rank, c10d::OpType type, std::string name, std::vector<at::Tensor> outputs);

  // A point-to-point operation waits in its queue until something needs it; these push it out first.
  bool isCompleted() override;
  bool wait(std::chrono::milliseconds timeout) override;
  c10::intrusive_ptr<c10::ivalue::Future> getFuture() override;

  std::vector<at::Tensor> result() override { return outputs_; }
  int sourceRank() const override;

  const std::string& name() const { return name_; }
  void setQueue(std::weak_ptr<OpQueue> queue) { queue_ = std::move(queue); }
  // Runs on completion, before the work is marked done: copies staged results into the caller's tensors.
  void setCopyBack(std::function<void()> copyBack) { copyBack_ = std::move(copyBack); }
  int* sourceSlot() { return &source_; }
  // An error found while issuing: the work completes with it whatever the stream reports.
  void setIssueError(std::string message) { issueError_ = std::move(message); }

  // Called once, on the stream's thread, when everything queued before the work has run.
  void complete(ncclResult_t status, const std::string& braidMessage);

 private:
  void flushQueue();

  std::string name_;
  std::vector<at::Tensor> outputs_;
  std::function<void()> copyBack_;
  std::weak_ptr<OpQueue> queue_;
  std::string issueError_;
  int source_ = -1;
  c10::intrusive_ptr<c10::ivalue::Future> future_;
};

}  // namespace torch_braid
