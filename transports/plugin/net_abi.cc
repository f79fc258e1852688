#include "transports/plugin/net_abi.h"

#include <dlfcn.h>

#include <climits>

namespace braid {
namespace {

// One version's table, adapted: what changed between versions is chosen at compile time by V.
template <int V, class Net, class Props>
class VersionedNet : public NetAbi {
 public:
  explicit VersionedNet(const Net* net) : net_(net) {}
  int version() const override { return V; }
  const char* name() const override { return net_->name; }

  ncclResult_t init(ncclDebugLogger_t logger) override {
    logger_ = logger;
    if constexpr (V >= 11) {
      void* context = nullptr;
      ncclResult_t r = openContext(0, NCCL_NET_TRAFFIC_CLASS_UNDEF, &context);
      return r == ncclSuccess ? closeContext(context) : r;
    } else if constexpr (V >= 10) {
      return net_->init(logger, nullptr);
    } else {
      return net_->init(logger);
    }
  }
  ncclResult_t openContext(uint64_t communicatorId, int trafficClass, void** context) override {
    *context = nullptr;
    if constexpr (V >= 11) {
      ncclNetCommConfig_v11_t config{trafficClass};
      return net_->init(context, communicatorId, &config, logger_, nullptr);
    } else {
      return ncclSuccess;
    }
  }
  ncclResult_t closeContext(void* context) override {
    if constexpr (V >= 11) return net_->finalize(context);
    else return ncclSuccess;
  }
  ncclResult_t devices(int* count) override { return net_->devices(count); }
  ncclResult_t properties(int device, NetDeviceProperties* out) override {
    Props props{};
    const ncclResult_t r = net_->getProperties(device, &props);
    if (r == ncclSuccess)
      *out = {props.name ? props.name : "", props.ptrSupport, props.speed, props.latency, props.maxComms};
    return r;
  }
  ncclResult_t listen(void* context, int device, void* handle, void** listenComm) override {
    if constexpr (V >= 11) return net_->listen(context, device, handle, listenComm);
    else return net_->listen(device, handle, listenComm);
  }
  ncclResult_t connect(void* context, int device, int trafficClass, void* handle, void** sendComm) override {
    if constexpr (V >= 11) {
      ncclNetDeviceHandle_v11_t* deviceHandle = nullptr;
      return net_->connect(context, device, handle, sendComm, &deviceHandle);
    } else if constexpr (V >= 10) {
      ncclNetCommConfig_v10_t config{trafficClass};
      ncclNetDeviceHandle_v10_t* deviceHandle = nullptr;
      return net_->connect(device, &config, handle, sendComm, &deviceHandle);
    } else if constexpr (V >= 7) {
      ncclNetDeviceHandle_v7_t* deviceHandle = nullptr;
      return net_->connect(device, handle, sendComm, &deviceHandle);
    } else {
      return net_->connect(device, handle, sendComm);
    }
  }
  ncclResult_t accept(void* listenComm, void** recvComm) override {
    if constexpr (V >= 7) {
      ncclNetDeviceHandle_v7_t* deviceHandle = nullptr;
      return net_->accept(listenComm, recvComm, &deviceHandle);
    } else {
      return net_->accept(listenComm, recvComm);
    }
  }
  ncclResult_t regMr(void* comm, void* data, size_t bytes, int type, void** mhandle) override {
    if constexpr (V >= 8) return net_->regMr(comm, data, bytes, type, mhandle);
    else return bytes > INT_MAX ? ncclInvalidArgument : net_->regMr(comm, data, static_cast<int>(bytes), type, mhandle);
  }
  ncclResult_t deregMr(void* comm, void* mhandle) override { return net_->deregMr(comm, mhandle); }
  ncclResult_t isend(void* sendComm, void* data, size_t bytes, int tag, void* mhandle, void** request) override {
    if constexpr (V >= 10) return net_->isend(sendComm, data, bytes, tag, mhandle, nullptr, request);
    else if constexpr (V >= 9) return net_->isend(sendComm, data, bytes, tag, mhandle, request);
    else if (bytes > INT_MAX) return ncclInvalidArgument;
    else return net_->isend(sendComm, data, static_cast<int>(bytes), tag, mhandle, request);
  }
  ncclResult_t irecv(void* recvComm, void* data, size_t bytes, int tag, void* mhandle, void** request) override {
    if constexpr (V >= 9) {
      size_t size = bytes;
      if constexpr (V >= 10) {
        void* profilerHandle = nullptr;
        return net_->irecv(recvComm, 1, &data, &size, &tag, &mhandle, &profilerHandle, request);
      } else {
        return net_->irecv(recvComm, 1, &data, &size, &tag, &mhandle, request);
      }
    } else {
      if (bytes > INT_MAX) return ncclInvalidArgument;
      int size = static_cast<int>(bytes);
      return net_->irecv(recvComm, 1, &data, &size, &tag, &mhandle, request);
    }
  }
  ncclResult_t test(void* request, int* done, size_t* bytes) override {
    int size = 0;
    const ncclResult_t r = net_->test(request, done, &size);
    *bytes = static_cast<size_t>(size);
    return r;
  }
  ncclResult_t closeSend(void* sendComm) override { return net_->closeSend(sendComm); }
  ncclResult_t closeRecv(void* recvComm) override { return net_->closeRecv(recvComm); }
  ncclResult_t closeListen(void* listenComm) override { return net_->closeListen(listenComm); }

 private:
  const Net* net_;
  ncclDebugLogger_t logger_ = nullptr;
};

template <int V, class Net, class Props>
std::unique_ptr<NetAbi> adapt(void* library, const char* symbol) {
  const auto* net = static_cast<const Net*>(dlsym(library, symbol));
  return net ? std::make_unique<VersionedNet<V, Net, Props>>(net) : nullptr;
}

}  // namespace

std::unique_ptr<NetAbi> NetAbi::of(void* library) {
  if (auto abi = adapt<12, ncclNet_v12_t, ncclNetProperties_v12_t>(library, "ncclNetPlugin_v12")) return abi;
  if (auto abi = adapt<11, ncclNet_v11_t, ncclNetProperties_v11_t>(library, "ncclNetPlugin_v11")) return abi;
  if (auto abi = adapt<10, ncclNet_v10_t, ncclNetProperties_v10_t>(library, "ncclNetPlugin_v10")) return abi;
  if (auto abi = adapt<9, ncclNet_v9_t, ncclNetProperties_v9_t>(library, "ncclNetPlugin_v9")) return abi;
  if (auto abi = adapt<8, ncclNet_v8_t, ncclNetProperties_v8_t>(library, "ncclNetPlugin_v8")) return abi;
  if (auto abi = adapt<7, ncclNet_v7_t, ncclNetProperties_v7_t>(library, "ncclNetPlugin_v7")) return abi;
  return adapt<6, ncclNet_v6_t, ncclNetProperties_v6_t>(library, "ncclNetPlugin_v6");
}

std::string NetAbi::versionsOffered(void* library) {
  std::string offered;
  for (int v = 1; v <= 20; ++v)
    if (dlsym(library, ("ncclNetPlugin_v" + std::to_string(v)).c_str()))
      offered += (offered.empty() ? "v" : ", v") + std::to_string(v);
  return offered;
}

}  // namespace braid
