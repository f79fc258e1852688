// The example plugin's calls in ncclNet_v8's terms (socket_net_plugin.cc); net_tables.cc exports them as every
// ABI version Braid loads.
#pragma once

#include "braid/net_plugin.h"

namespace example {

ncclResult_t init(ncclDebugLogger_t logFunction);
ncclResult_t devices(int* count);
ncclResult_t getProperties(int device, ncclNetProperties_v8_t* props);
ncclResult_t listen(int device, void* handle, void** listenComm);
ncclResult_t connect(int device, void* handle, void** sendComm, ncclNetDeviceHandle_v8_t** sendDevComm);
ncclResult_t accept(void* listenComm, void** recvComm, ncclNetDeviceHandle_v8_t** recvDevComm);
ncclResult_t regMr(void* comm, void* data, size_t size, int type, void** mhandle);
ncclResult_t regMrDmaBuf(void* comm, void* data, size_t size, int type, uint64_t offset, int fd, void** mhandle);
ncclResult_t deregMr(void* comm, void* mhandle);
ncclResult_t isend(void* sendComm, void* data, int size, int tag, void* mhandle, void** request);
ncclResult_t irecv(void* recvComm, int n, void** data, int* sizes, int* tags, void** mhandles, void** request);
ncclResult_t iflush(void* recvComm, int n, void** data, int* sizes, void** mhandles, void** request);
ncclResult_t test(void* request, int* done, int* sizes);
ncclResult_t closeComm(void* comm);
ncclResult_t closeListen(void* listenComm);
ncclResult_t getDeviceMr(void* comm, void* mhandle, void** dptrMhandle);
ncclResult_t irecvConsumed(void* recvComm, int n, void* request);

}  // namespace example
