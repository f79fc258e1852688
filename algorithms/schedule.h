// The schedule IR: what one rank does for one collective, as an ordered list of steps on chunks of buffers.
//
// Algorithms emit schedules; the executor (src/exec/schedule_run.h) runs them over real transports; the tests
// run them in memory for any rank count. Steps that talk to the same peer in the same direction run in list order
// (they share one byte stream); everything else may proceed concurrently. A step with `after` set handles its
// element i only once step `after` has finished its element i + afterOffset (or has finished altogether), which
// is how a ring forwards data chunk by chunk while it is still arriving; afterOffset = kWholeStep waits for the
// whole of step `after`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace braid {

// Buffers a schedule refers to; the executor binds them to memory. Point-to-point groups add one buffer per call.
enum BufferSlot : int { kSendBuffer = 0, kRecvBuffer = 1, kScratchBuffer = 2, kFirstUserBuffer = 3 };

struct Region {
  int buffer = kSendBuffer;
  size_t offset = 0;  // in elements
};

enum class StepKind : uint8_t {
  Send,        // stream `src` to `peer`
  Recv,        // stream from `peer` into `dst`
  RecvReduce,  // dst = src (op) data from `peer`
  Copy,        // dst = src, locally
  Reduce,      // dst = dst (op) src, locally
};

constexpr size_t kWholeStep = std::numeric_limits<size_t>::max();

struct Step {
  StepKind kind;
  int peer = -1;
  Region src;
  Region dst;
  size_t count = 0;        // elements
  int after = -1;          // index of the step whose finished prefix gates this one
  size_t afterOffset = 0;  // where this step's first element lies in step `after`'s elements
  // Set by buildSchedule on receives into the receive buffer that no step of the schedule reads back: an
  // output written once and left, which large copies may write past the cache.
  bool lastWrite = false;
};

struct Schedule {
  std::vector<Step> steps;
  size_t scratchCount = 0;  // elements of scratch the schedule needs

  int add(const Step& step) {
    steps.push_back(step);
    return static_cast<int>(steps.size()) - 1;
  }
};

}  // namespace braid
