#include "collperf_collectives.h"

#include <stdexcept>

#include "device/datatype.h"

namespace braid::collperf {

using reference::movementValue;
using reference::reductionInput;

Collective parseCollective(const std::string& name) {
  static const char* names[] = {"allreduce", "allgather", "reducescatter", "broadcast", "reduce",
                                "alltoall",  "gather",    "scatter",       "sendrecv"};
  for (int i = 0; i < 9; ++i)
    if (name == names[i]) return static_cast<Collective>(i);
  throw std::invalid_argument("unknown collective " + name);
}

bool reduces(Collective c) {
  return c == Collective::AllReduce || c == Collective::ReduceScatter || c == Collective::Reduce;
}
bool rooted(Collective c) {
  return c == Collective::Broadcast || c == Collective::Reduce || c == Collective::Gather || c == Collective::Scatter;
}
bool hasInPlace(Collective c) { return c != Collective::AlltoAll && c != Collective::SendRecv; }

double busBandwidthFactor(Collective c, int n) {
  switch (c) {
    case Collective::AllReduce: return 2.0 * (n - 1) / n;
    case Collective::AllGather:
    case Collective::ReduceScatter:
    case Collective::AlltoAll:
    case Collective::Gather:
    case Collective::Scatter: return static_cast<double>(n - 1) / n;
    default: return 1.0;
  }
}

RowShape rowShape(Collective c, size_t bytes, size_t elementSize, int nranks) {
  const size_t n = static_cast<size_t>(nranks), total = bytes / elementSize;
  switch (c) {
    case Collective::AllReduce:
    case Collective::Broadcast:
    case Collective::Reduce:
    case Collective::SendRecv: return {total, total, total, total};
    case Collective::AllGather:
    case Collective::Gather: return {total / n, total / n, total / n * n, total / n * n};
    case Collective::ReduceScatter:
    case Collective::Scatter: return {total / n, total / n * n, total / n, total / n * n};
    case Collective::AlltoAll: return {total / n, total / n * n, total / n * n, total / n * n};
  }
  return {};
}

BufferPointers bufferPointers(const CallContext& c) {
  if (!c.inPlace) return {c.send, c.recv};
  const size_t block = c.shape.count * dataTypeSize(c.type);
  switch (c.collective) {
    case Collective::AllGather:
    case Collective::Gather: return {c.recv + c.rank * block, c.recv};
    case Collective::ReduceScatter:
    case Collective::Scatter: return {c.send, c.send + c.rank * block};
    default: return {c.recv, c.recv};
  }
}

namespace {
// The buffer that holds this rank's input elements (in place, part of the output buffer).
char* inputBuffer(const CallContext& c) { return const_cast<char*>(bufferPointers(c).send); }
}  // namespace

ncclResult_t launch(const CallContext& c) {
  const BufferPointers p = bufferPointers(c);
  const size_t n = c.shape.count;
  switch (c.collective) {
    case Collective::AllReduce: return ncclAllReduce(p.send, p.recv, n, c.type, c.ncclOp, c.comm, c.stream);
    case Collective::AllGather: return ncclAllGather(p.send, p.recv, n, c.type, c.comm, c.stream);
    case Collective::ReduceScatter: return ncclReduceScatter(p.send, p.recv, n, c.type, c.ncclOp, c.comm, c.stream);
    case Collective::Broadcast: return ncclBroadcast(p.send, p.recv, n, c.type, c.root, c.comm, c.stream);
    case Collective::Reduce: return ncclReduce(p.send, p.recv, n, c.type, c.ncclOp, c.root, c.comm, c.stream);
    case Collective::AlltoAll: return ncclAlltoAll(p.send, p.recv, n, c.type, c.comm, c.stream);
    case Collective::Gather: return ncclGather(p.send, p.recv, n, c.type, c.root, c.comm, c.stream);
    case Collective::Scatter: return ncclScatter(p.send, p.recv, n, c.type, c.root, c.comm, c.stream);
    case Collective::SendRecv: {
      // Every rank sends to the next and receives from the previous, as nccl-tests does.
      ncclGroupStart();
      ncclResult_t a = ncclSend(p.send, n, c.type, (c.rank + 1) % c.nranks, c.comm, c.stream);
      ncclResult_t b = ncclRecv(p.recv, n, c.type, (c.rank - 1 + c.nranks) % c.nranks, c.comm, c.stream);
      ncclResult_t e = ncclGroupEnd();
      return a != ncclSuccess ? a : b != ncclSuccess ? b : e;
    }
  }
  return ncclInvalidArgument;
}

void fillInputs(const CallContext& c) {
  char* in = inputBuffer(c);
  const size_t count = c.shape.count;
  const int r = c.rank, n = c.nranks;
  switch (c.collective) {
    case Collective::AllReduce:
    case Collective::Reduce:
    case Collective::ReduceScatter:
      for (size_t i = 0; i < c.shape.sendElems; ++i)
        reference::storeValue(c.type, in, i, reductionInput(c.type, c.op, r, i));
      return;
    case Collective::Broadcast:
      for (size_t i = 0; i < count; ++i)
        reference::storeValue(c.type, in, i, movementValue(c.type, r == c.root ? r : -1, i));
      return;
    case Collective::AlltoAll:
      for (int p = 0; p < n; ++p)
        for (size_t i = 0; i < count; ++i)
          reference::storeValue(c.type, in, p * count + i, movementValue(c.type, r * n + p, i));
      return;
    case Collective::Scatter:
      for (int p = 0; p < n; ++p)
        for (size_t i = 0; i < count; ++i)
          reference::storeValue(c.type, in, p * count + i, movementValue(c.type, r == c.root ? 100 + p : -1, i));
      return;
    default:  // AllGather, Gather, SendRecv: one block of own data
      for (size_t i = 0; i < count; ++i) reference::storeValue(c.type, in, i, movementValue(c.type, r, i));
      return;
  }
}

size_t countWrong(const CallContext& c) {
  const char* out = bufferPointers(c).recv;
  const size_t count = c.shape.count;
  const int r = c.rank, n = c.nranks;
  size_t wrong = 0;
  double tolerance = 0;
  auto expect = [&](size_t index, double want) { wrong += !reference::holds(c.type, out, index, want, tolerance); };
  switch (c.collective) {
    case Collective::AllReduce:
    case Collective::Reduce:
      if (c.collective == Collective::Reduce && r != c.root) return 0;
      for (size_t i = 0; i < count; ++i) {
        double want = reference::reductionResult(c.type, c.op, n, i, tolerance);
        expect(i, want);
      }
      return wrong;
    case Collective::ReduceScatter:
      for (size_t i = 0; i < count; ++i) {
        double want = reference::reductionResult(c.type, c.op, n, r * count + i, tolerance);
        expect(i, want);
      }
      return wrong;
    case Collective::Broadcast:
      for (size_t i = 0; i < count; ++i) expect(i, movementValue(c.type, c.root, i));
      return wrong;
    case Collective::AllGather:
    case Collective::Gather:
      if (c.collective == Collective::Gather && r != c.root) return 0;
      for (int p = 0; p < n; ++p)
        for (size_t i = 0; i < count; ++i) expect(p * count + i, movementValue(c.type, p, i));
      return wrong;
    case Collective::AlltoAll:
      for (int p = 0; p < n; ++p)
        for (size_t i = 0; i < count; ++i) expect(p * count + i, movementValue(c.type, p * n + r, i));
      return wrong;
    case Collective::Scatter:
      for (size_t i = 0; i < count; ++i) expect(i, movementValue(c.type, 100 + r, i));
      return wrong;
    case Collective::SendRecv:
      for (size_t i = 0; i < count; ++i) expect(i, movementValue(c.type, (r - 1 + n) % n, i));
      return wrong;
  }
  return wrong;
}

}  // namespace braid::collperf
