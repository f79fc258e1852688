// The communicator: one rank's membership in a clique, its bootstrap ring, its transport connections and the
// state the API needs (errors, user reduction ops, a reusable workspace).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "algorithms/schedule.h"
#include "core/bootstrap.h"
#include "core/red_op.h"
#include "transports/transport.h"

struct ncclComm {
  static constexpr uint64_t kMagic = 0x6d6d6f6364696162ull;  // "braidcomm"
  uint64_t magic = kMagic;
  int rank = 0;
  int nranks = 0;
  int device = 0;
  std::string name;
  bool blocking = true;

  std::unique_ptr<braid::Bootstrap> bootstrap;
  std::array<braid::ChannelConnections, braid::kChannelCount> channels;
  braid::RedOpTable redOps;

  std::mutex executionMutex;        // one executor drives this communicator's connections at a time
  std::vector<char> workspace;      // scratch and pre-scaled inputs, grown on demand, guarded by executionMutex
  std::atomic<int> inflight{0};     // queued stream work that still refers to this communicator
  std::atomic<bool> aborting{false};
  std::atomic<ncclResult_t> asyncError{ncclSuccess};

  std::mutex errorMutex;
  std::string lastError;

  braid::ChannelConnections& channel(braid::Channel c) { return channels[static_cast<int>(c)]; }
  char* workspaceOf(size_t bytes) {
    if (workspace.size() < bytes) workspace.resize(bytes);
    return workspace.data();
  }
  void recordError(ncclResult_t code, const std::string& message);
};

namespace braid {

// Joins the clique described by `id` as `rank` of `nranks` and wires every peer: shared memory for peers on the
// same host, TCP for the others.
void initCommunicator(ncclComm* comm, const UniqueIdContents& id, int nranks, int rank);

// Throws ncclInvalidArgument unless `comm` is a live communicator.
void checkCommunicator(const ncclComm* comm, const char* call);

}  // namespace braid
