// What collperf knows about each collective: buffer sizes for a row of the table, how to call it in and out of
// place, how to fill its inputs and count wrong outputs, and the nccl-tests bus-bandwidth factor.
#pragma once

#include <cstddef>
#include <string>

#include "nccl.h"
#include "reference_data.h"

namespace braid::collperf {

enum class Collective { AllReduce, AllGather, ReduceScatter, Broadcast, Reduce, AlltoAll, Gather, Scatter, SendRecv };

Collective parseCollective(const std::string& name);
bool reduces(Collective c);
bool rooted(Collective c);
bool hasInPlace(Collective c);
double busBandwidthFactor(Collective c, int nranks);

// Element counts of one row: `count` is the argument passed to NCCL, `sendElems`/`recvElems` what each rank's
// buffers hold, `rowElems` what the table's size and count columns show (nccl-tests' convention).
struct RowShape {
  size_t count, sendElems, recvElems, rowElems;
};
RowShape rowShape(Collective c, size_t bytes, size_t elementSize, int nranks);

struct CallContext {
  Collective collective;
  ncclComm_t comm;
  int rank, nranks, root;
  ncclDataType_t type;
  reference::TestOp op;
  ncclRedOp_t ncclOp;  // op as NCCL sees it (a PreMulSum handle for mulsum)
  RowShape shape;
  char* send;  // buffers of at least shape.sendElems and shape.recvElems elements
  char* recv;
  bool inPlace;
  cudaStream_t stream;
};

// The pointers NCCL is given: the in-place variants use one buffer, as NCCL defines for each collective.
struct BufferPointers {
  const char* send;
  char* recv;
};
BufferPointers bufferPointers(const CallContext& c);

ncclResult_t launch(const CallContext& c);
void fillInputs(const CallContext& c);
size_t countWrong(const CallContext& c);  // elements of this rank's output that differ from the reference

}  // namespace braid::collperf
