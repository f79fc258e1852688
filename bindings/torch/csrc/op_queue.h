// Issues a process group's operations onto its Braid communicator and host stream, in the order torch calls
// them. Point-to-point operations wait here until something needs them (a wait on their work, the next
// collective, the end of a coalescing block) and then go out together as one Braid group, so that a rank's
// isend and irecv of an exchange progress together instead of the send blocking the stream.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "braid/braid.h"
#include "braid_work.h"

namespace torch_braid {

class OpQueue : public std::enable_shared_from_this<OpQueue> {
 public:
  // Calls Braid for one operation; throws std::runtime_error with Braid's message on failure. It owns the
  // operation's buffers, and is kept until the operation completes.
  using Issue = std::function<void(ncclComm_t, braidStream_t)>;
  enum class Kind { Collective, PointToPoint, AnySource };

  // Takes ownership of both; operations wait for their peers at most `timeoutSeconds` without progress.
  OpQueue(ncclComm_t comm, braidStream_t stream, double timeoutSeconds);
  ~OpQueue();  // close(Closing::Finish)

  // The communicator; throws once the queue is closed.
  ncclComm_t comm() const;

  // Issues (or, for point-to-point and inside a coalescing block, holds) the operation; its work completes on
  // the stream. Errors found while issuing a collective are thrown here as well. A `timeoutSeconds` of 0 or more
  // replaces the default for this operation alone.
  void submit(const c10::intrusive_ptr<WorkBraid>& work, Issue issue, Kind kind, double timeoutSeconds = -1);
  void flush();
  void startCoalescing();
  void endCoalescing();
  // Waits until everything issued so far has run; the stream's first error, if any.
  ncclResult_t synchronize();
  // The timeout of operations issued from now on.
  void setDefaultTimeout(double seconds);

  // Finish: queued work runs to its end, then the communicator is destroyed (aborted after a failure).
  // Abort: the communicator is revoked, so work under way fails at once, then aborted; held work fails.
  // Later submissions throw, naming how the queue was closed. Closing twice does nothing.
  enum class Closing { Finish, Abort };
  void close(Closing how);

  // Throws a std::runtime_error carrying Braid's last error unless `result` is ncclSuccess.
  void check(ncclResult_t result) const;

 private:
  struct Pending {
    c10::intrusive_ptr<WorkBraid> work;
    Issue issue;
    double timeoutSeconds;  // < 0: the default
  };
  // Issues `ops` as one Braid group and queues their completions; returns the first error ("" if none).
  std::string issueGroup(std::vector<Pending> ops);
  void issuePending();  // what waits in pending_, as one group (with mutex_ held)
  void queueCompletion(const c10::intrusive_ptr<WorkBraid>& work, Issue issue);
  static void onStreamReached(ncclResult_t status, void* completion);
  // Sets the communicator's timeout when the stream gets there, between the operations around it.
  void timeoutFromHere(double seconds);

  ncclComm_t comm_;
  braidStream_t stream_;
  double defaultTimeout_;
  std::mutex mutex_;
  std::vector<Pending> pending_;
  bool coalescing_ = false;
  std::atomic<const char*> closedBy_{nullptr};  // "shut down" or "aborted" once closed (read without mutex_)
};

}  // namespace torch_braid
