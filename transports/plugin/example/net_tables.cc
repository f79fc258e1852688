// The tables NCCL and Braid look up: the example plugin (socket_net_plugin.cc, written in ncclNet_v8's terms) as
// ncclNetPlugin_v6 to _v12, each version's differences adapted here. Built with BRAID_EXAMPLE_NET_ABI=N, the
// library exports version N alone (the tests load each version that way); without it, all of them, and a loader
// takes the newest it knows.
#include <climits>

#include "socket_net_plugin.h"

// Helpers are [[maybe_unused]]: a single-version build uses only its own.
namespace {

// Properties in a version's struct: the fields every version has, as v8 describes them.
template <class Props>
[[maybe_unused]] ncclResult_t propertiesAs(int device, Props* props) {
  ncclNetProperties_v8_t v8;
  if (ncclResult_t r = example::getProperties(device, &v8); r != ncclSuccess) return r;
  *props = Props{};
  props->name = v8.name;
  props->pciPath = v8.pciPath;
  props->guid = v8.guid;
  props->ptrSupport = v8.ptrSupport;
  props->speed = v8.speed;
  props->port = v8.port;
  props->latency = v8.latency;
  props->maxComms = v8.maxComms;
  props->maxRecvs = v8.maxRecvs;
  return ncclSuccess;
}

// v9 and later: a virtual device per device, and the largest message.
template <class Props>
[[maybe_unused]] ncclResult_t propertiesV9(int device, Props* props) {
  if (ncclResult_t r = propertiesAs(device, props); r != ncclSuccess) return r;
  props->netDeviceType = NCCL_NET_DEVICE_HOST;
  props->vProps.ndevs = 1;
  props->vProps.devs[0] = device;
  props->maxP2pBytes = props->maxCollBytes = INT_MAX;  // messages travel with a 4-byte length
  return ncclSuccess;
}

// Sizes as v9 and later pass them: never more than a 4-byte length can say (maxP2pBytes).
[[maybe_unused]] ncclResult_t isendSized(void* sendComm, void* data, size_t size, int tag, void* mhandle,
                                         void** request) {
  if (size > INT_MAX) return ncclInvalidArgument;
  return example::isend(sendComm, data, static_cast<int>(size), tag, mhandle, request);
}
[[maybe_unused]] ncclResult_t irecvSized(void* recvComm, int n, void** data, size_t* sizes, int* tags, void** mhandles,
                                         void** request) {
  if (n != 1 || sizes[0] > INT_MAX) return ncclInvalidArgument;
  int size = static_cast<int>(sizes[0]);
  return example::irecv(recvComm, n, data, &size, tags, mhandles, request);
}
[[maybe_unused]] ncclResult_t regMrInt(void* comm, void* data, int size, int type, void** mhandle) {
  return example::regMr(comm, data, static_cast<size_t>(size), type, mhandle);
}
template <class VProps>
[[maybe_unused]] ncclResult_t makeVDevice(int*, VProps*) {
  return ncclInvalidUsage;  // one device: nothing to merge
}

// v10 and later: a profiler handle per message, which the example does not use.
[[maybe_unused]] ncclResult_t isendProfiled(void* sendComm, void* data, size_t size, int tag, void* mhandle, void*,
                                            void** request) {
  return isendSized(sendComm, data, size, tag, mhandle, request);
}
[[maybe_unused]] ncclResult_t irecvProfiled(void* recvComm, int n, void** data, size_t* sizes, int* tags,
                                            void** mhandles, void**, void** request) {
  return irecvSized(recvComm, n, data, sizes, tags, mhandles, request);
}

// v11 and later: a context per communicator (the traffic class comes with it); the example keeps only that.
struct Context {
  int trafficClass;
};
template <class Config>
[[maybe_unused]] ncclResult_t initContext(void** context, uint64_t, Config* config, ncclDebugLogger_t logger,
                                          ncclProfilerCallback_t) {
  *context = new Context{config ? config->trafficClass : NCCL_NET_TRAFFIC_CLASS_UNDEF};
  return example::init(logger);
}
[[maybe_unused]] ncclResult_t finalizeContext(void* context) {
  delete static_cast<Context*>(context);
  return ncclSuccess;
}
[[maybe_unused]] ncclResult_t listenIn(void*, int device, void* handle, void** listenComm) {
  return example::listen(device, handle, listenComm);
}
[[maybe_unused]] ncclResult_t connectIn(void*, int device, void* handle, void** sendComm,
                                        ncclNetDeviceHandle_v11_t** devComm) {
  return example::connect(device, handle, sendComm, devComm);
}
[[maybe_unused]] ncclResult_t setNetAttr(void*, ncclNetAttr_v11_t*) { return ncclSuccess; }  // hints: none taken

}  // namespace

#ifndef BRAID_EXAMPLE_NET_ABI
#define BRAID_EXAMPLE_NET_ABI 0  // every version
#endif
#define BRAID_EXPORTS(version) (BRAID_EXAMPLE_NET_ABI == 0 || BRAID_EXAMPLE_NET_ABI == (version))
#define BRAID_TABLE(type, symbol) extern "C" __attribute__((visibility("default"))) const type symbol

#if BRAID_EXPORTS(6)
BRAID_TABLE(ncclNet_v6_t, ncclNetPlugin_v6) = {
    "braid-example",
    example::init,
    example::devices,
    propertiesAs<ncclNetProperties_v6_t>,
    example::listen,
    [](int device, void* handle, void** sendComm) { return example::connect(device, handle, sendComm, nullptr); },
    [](void* listenComm, void** recvComm) { return example::accept(listenComm, recvComm, nullptr); },
    regMrInt,
    example::regMrDmaBuf,
    example::deregMr,
    example::isend,
    example::irecv,
    example::iflush,
    example::test,
    example::closeComm,
    example::closeComm,
    example::closeListen};
#endif

#if BRAID_EXPORTS(7)
BRAID_TABLE(ncclNet_v7_t, ncclNetPlugin_v7) = {
    "braid-example",      example::init,        example::devices,      propertiesAs<ncclNetProperties_v7_t>,
    example::listen,      example::connect,     example::accept,       regMrInt,
    example::regMrDmaBuf, example::deregMr,     example::isend,        example::irecv,
    example::iflush,      example::test,        example::closeComm,    example::closeComm,
    example::closeListen, example::getDeviceMr, example::irecvConsumed};
#endif

#if BRAID_EXPORTS(8)
BRAID_TABLE(ncclNet_v8_t, ncclNetPlugin_v8) = {
    "braid-example",    example::init,        example::devices,     example::getProperties, example::listen,
    example::connect,   example::accept,      example::regMr,       example::regMrDmaBuf,   example::deregMr,
    example::isend,     example::irecv,       example::iflush,      example::test,          example::closeComm,
    example::closeComm, example::closeListen, example::getDeviceMr, example::irecvConsumed};
#endif

#if BRAID_EXPORTS(9)
BRAID_TABLE(ncclNet_v9_t, ncclNetPlugin_v9) = {"braid-example",
                                               example::init,
                                               example::devices,
                                               propertiesV9<ncclNetProperties_v9_t>,
                                               example::listen,
                                               example::connect,
                                               example::accept,
                                               example::regMr,
                                               example::regMrDmaBuf,
                                               example::deregMr,
                                               isendSized,
                                               irecvSized,
                                               example::iflush,
                                               example::test,
                                               example::closeComm,
                                               example::closeComm,
                                               example::closeListen,
                                               example::getDeviceMr,
                                               example::irecvConsumed,
                                               makeVDevice<ncclNetVDeviceProps_v9_t>};
#endif

#if BRAID_EXPORTS(10)
BRAID_TABLE(ncclNet_v10_t, ncclNetPlugin_v10) = {
    "braid-example", [](ncclDebugLogger_t logger, ncclProfilerCallback_t) { return example::init(logger); },
    example::devices, propertiesV9<ncclNetProperties_v10_t>, example::listen,
    // The traffic class would mark the connection's socket; the example keeps the system's.
    [](int device, ncclNetCommConfig_v10_t*, void* handle, void** sendComm, ncclNetDeviceHandle_v10_t** devComm) {
      return example::connect(device, handle, sendComm, devComm);
    },
    example::accept, example::regMr, example::regMrDmaBuf, example::deregMr, isendProfiled, irecvProfiled,
    example::iflush, example::test, example::closeComm, example::closeComm, example::closeListen, example::getDeviceMr,
    example::irecvConsumed, makeVDevice<ncclNetVDeviceProps_v10_t>};
#endif

// v11 and v12 differ only in their properties and virtual devices: one table for both.
template <class Table, class Config, class Props, class VProps>
[[maybe_unused]] constexpr Table contextTable() {
  return {"braid-example",
          initContext<Config>,
          example::devices,
          propertiesV9<Props>,
          listenIn,
          connectIn,
          example::accept,
          example::regMr,
          example::regMrDmaBuf,
          example::deregMr,
          isendProfiled,
          irecvProfiled,
          example::iflush,
          example::test,
          example::closeComm,
          example::closeComm,
          example::closeListen,
          example::getDeviceMr,
          example::irecvConsumed,
          makeVDevice<VProps>,
          finalizeContext,
          setNetAttr};
}

#if BRAID_EXPORTS(11)
BRAID_TABLE(ncclNet_v11_t, ncclNetPlugin_v11) =
    contextTable<ncclNet_v11_t, ncclNetCommConfig_v11_t, ncclNetProperties_v11_t, ncclNetVDeviceProps_v11_t>();
#endif
#if BRAID_EXPORTS(12)
BRAID_TABLE(ncclNet_v12_t, ncclNetPlugin_v12) =
    contextTable<ncclNet_v12_t, ncclNetCommConfig_v12_t, ncclNetProperties_v12_t, ncclNetVDeviceProps_v12_t>();
#endif
