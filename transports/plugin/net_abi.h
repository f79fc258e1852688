// The network plugin ABI versions Braid loads (ncclNet_v6 to ncclNet_v12, include/braid/net_plugin.h) behind one
// interface, in the terms Braid uses them: host buffers, one message per receive. The newest version a library
// exports is used, as NCCL does.
#pragma once

#include <memory>
#include <string>

#include "braid/net_plugin.h"

namespace braid {

struct NetDeviceProperties {
  std::string name;
  int ptrSupport = 0;  // NCCL_PTR_HOST | ...
  int speedMbps = 0;
  float latencyUs = 0;
  int maxComms = 0;
};

class NetAbi {
 public:
  static constexpr int kOldest = 6, kNewest = 12;
  // The newest version `library` exports, adapted; null when it exports none of kOldest..kNewest.
  static std::unique_ptr<NetAbi> of(void* library);
  // The ncclNetPlugin_vN symbols `library` exports, for messages ("v5, v11"); "" when none.
  static std::string versionsOffered(void* library);

  virtual ~NetAbi() = default;
  virtual int version() const = 0;
  virtual const char* name() const = 0;
  // Once per process. v11 and later have no such call: a context is opened and closed instead, to see that one
  // can be.
  virtual ncclResult_t init(ncclDebugLogger_t logger) = 0;
  // A communicator's context: v11 and later make one per communicator (init ... finalize), given the traffic
  // class (NCCL_NET_TRAFFIC_CLASS_UNDEF: none); earlier versions have none (null), and v10 takes the traffic
  // class at connect.
  virtual ncclResult_t openContext(uint64_t communicatorId, int trafficClass, void** context) = 0;
  virtual ncclResult_t closeContext(void* context) = 0;
  virtual ncclResult_t devices(int* count) = 0;
  virtual ncclResult_t properties(int device, NetDeviceProperties* props) = 0;
  virtual ncclResult_t listen(void* context, int device, void* handle, void** listenComm) = 0;
  virtual ncclResult_t connect(void* context, int device, int trafficClass, void* handle, void** sendComm) = 0;
  virtual ncclResult_t accept(void* listenComm, void** recvComm) = 0;
  virtual ncclResult_t regMr(void* comm, void* data, size_t bytes, int type, void** mhandle) = 0;
  virtual ncclResult_t deregMr(void* comm, void* mhandle) = 0;
  virtual ncclResult_t isend(void* sendComm, void* data, size_t bytes, int tag, void* mhandle, void** request) = 0;
  virtual ncclResult_t irecv(void* recvComm, void* data, size_t bytes, int tag, void* mhandle, void** request) = 0;
  virtual ncclResult_t test(void* request, int* done, size_t* bytes) = 0;
  virtual ncclResult_t closeSend(void* sendComm) = 0;
  virtual ncclResult_t closeRecv(void* recvComm) = 0;
  virtual ncclResult_t closeListen(void* listenComm) = 0;
};

}  // namespace braid
