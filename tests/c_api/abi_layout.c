/* The binary interface nccl.h fixes, one "name value" line each: struct sizes and field offsets, enum values,
 * macros and what the initializers write. Built against Braid's header it must print NCCL 2.30.7's values
 * (tests/c_api/nccl_2_30_abi.txt); built against another NCCL header (the CUDA toolkit's), every line it
 * prints must equal Braid's (tests/c_api/real_header.sh). Fields a header's version lacks are left out. */
#include <stddef.h>
#include <stdio.h>

#include "nccl.h"

#define SHOW(name, value) printf("%s %lld\n", name, (long long)(value))
#define FIELD(type, field) SHOW(#type "." #field, offsetof(type, field))

int main(void) {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  SHOW("NCCL_UNIQUE_ID_BYTES", NCCL_UNIQUE_ID_BYTES);
  SHOW("sizeof(ncclUniqueId)", sizeof(ncclUniqueId));
  SHOW("sizeof(ncclResult_t)", sizeof(ncclResult_t));
  SHOW("sizeof(ncclRedOp_t)", sizeof(ncclRedOp_t));
  SHOW("sizeof(ncclDataType_t)", sizeof(ncclDataType_t));
  SHOW("ncclSuccess", ncclSuccess);
  SHOW("ncclUnhandledCudaError", ncclUnhandledCudaError);
  SHOW("ncclSystemError", ncclSystemError);
  SHOW("ncclInternalError", ncclInternalError);
  SHOW("ncclInvalidArgument", ncclInvalidArgument);
  SHOW("ncclInvalidUsage", ncclInvalidUsage);
  SHOW("ncclRemoteError", ncclRemoteError);
  SHOW("ncclInProgress", ncclInProgress);
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
  SHOW("ncclTimeout", ncclTimeout);
  SHOW("ncclNumResults", ncclNumResults);
#endif
  SHOW("ncclSum", ncclSum);
  SHOW("ncclProd", ncclProd);
  SHOW("ncclMax", ncclMax);
  SHOW("ncclMin", ncclMin);
  SHOW("ncclAvg", ncclAvg);
  SHOW("ncclNumOps", ncclNumOps);
  SHOW("ncclMaxRedOp", ncclMaxRedOp);
  SHOW("ncclInt8", ncclInt8);
  SHOW("ncclUint8", ncclUint8);
  SHOW("ncclInt32", ncclInt32);
  SHOW("ncclUint32", ncclUint32);
  SHOW("ncclInt64", ncclInt64);
  SHOW("ncclUint64", ncclUint64);
  SHOW("ncclFloat16", ncclFloat16);
  SHOW("ncclFloat32", ncclFloat32);
  SHOW("ncclFloat64", ncclFloat64);
  SHOW("ncclBfloat16", ncclBfloat16);
  SHOW("ncclFloat8e4m3", ncclFloat8e4m3);
  SHOW("ncclFloat8e5m2", ncclFloat8e5m2);
  SHOW("ncclNumTypes", ncclNumTypes);
  SHOW("ncclScalarDevice", ncclScalarDevice);
  SHOW("ncclScalarHostImmediate", ncclScalarHostImmediate);
  SHOW("NCCL_CONFIG_UNDEF_INT", NCCL_CONFIG_UNDEF_INT);
  SHOW("NCCL_SPLIT_NOCOLOR", NCCL_SPLIT_NOCOLOR);
#ifdef NCCL_API_MAGIC
  SHOW("NCCL_API_MAGIC", NCCL_API_MAGIC);
#endif
  SHOW("NCCL_WIN_DEFAULT", NCCL_WIN_DEFAULT);
  SHOW("NCCL_WIN_COLL_SYMMETRIC", NCCL_WIN_COLL_SYMMETRIC);
  SHOW("NCCL_WIN_REQUIRED_ALIGNMENT", NCCL_WIN_REQUIRED_ALIGNMENT);
#ifdef NCCL_WIN_STRICT_ORDERING
  SHOW("NCCL_WIN_STRICT_ORDERING", NCCL_WIN_STRICT_ORDERING);
#endif
  SHOW("NCCL_CTA_POLICY_DEFAULT", NCCL_CTA_POLICY_DEFAULT);
  SHOW("NCCL_CTA_POLICY_EFFICIENCY", NCCL_CTA_POLICY_EFFICIENCY);
  SHOW("NCCL_CTA_POLICY_ZERO", NCCL_CTA_POLICY_ZERO);
  SHOW("NCCL_SHRINK_DEFAULT", NCCL_SHRINK_DEFAULT);
  SHOW("NCCL_SHRINK_ABORT", NCCL_SHRINK_ABORT);
  SHOW("NCCL_REVOKE_DEFAULT", NCCL_REVOKE_DEFAULT);
  SHOW("NCCL_VERSION(2,30,7)", NCCL_VERSION(2, 30, 7));
  SHOW("NCCL_VERSION(2,8,4)", NCCL_VERSION(2, 8, 4));

  SHOW("sizeof(ncclConfig_t)", sizeof(ncclConfig_t));
  FIELD(ncclConfig_t, size);
  FIELD(ncclConfig_t, magic);
  FIELD(ncclConfig_t, version);
  FIELD(ncclConfig_t, blocking);
  FIELD(ncclConfig_t, cgaClusterSize);
  FIELD(ncclConfig_t, minCTAs);
  FIELD(ncclConfig_t, maxCTAs);
  FIELD(ncclConfig_t, netName);
  FIELD(ncclConfig_t, splitShare);
  FIELD(ncclConfig_t, trafficClass);
  FIELD(ncclConfig_t, commName);
  FIELD(ncclConfig_t, collnetEnable);
  FIELD(ncclConfig_t, CTAPolicy);
  FIELD(ncclConfig_t, shrinkShare);
  FIELD(ncclConfig_t, nvlsCTAs);
  FIELD(ncclConfig_t, nChannelsPerNetPeer);
  FIELD(ncclConfig_t, nvlinkCentricSched);
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
  FIELD(ncclConfig_t, graphUsageMode);
  FIELD(ncclConfig_t, numRmaCtx);
#endif
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 30, 0)
  FIELD(ncclConfig_t, maxP2pPeers);
  FIELD(ncclConfig_t, graphStreamOrdering);
#endif
  SHOW("initializer.size", config.size);
  SHOW("initializer.magic", config.magic);
  SHOW("initializer.blocking", config.blocking);
  SHOW("initializer.netName", config.netName != NULL);
  SHOW("initializer.nvlinkCentricSched", config.nvlinkCentricSched);

  {
    ncclSimInfo_t info = NCCL_SIM_INFO_INITIALIZER;
    SHOW("sizeof(ncclSimInfo_t)", sizeof(ncclSimInfo_t));
    FIELD(ncclSimInfo_t, size);
    FIELD(ncclSimInfo_t, magic);
    FIELD(ncclSimInfo_t, version);
    FIELD(ncclSimInfo_t, estimatedTime);
    SHOW("simInitializer.size", info.size);
    SHOW("simInitializer.magic", info.magic);
    SHOW("simInitializer.estimatedTime", info.estimatedTime);
  }
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 29, 0)
  SHOW("sizeof(ncclWaitSignalDesc_t)", sizeof(ncclWaitSignalDesc_t));
  FIELD(ncclWaitSignalDesc_t, opCnt);
  FIELD(ncclWaitSignalDesc_t, peer);
  FIELD(ncclWaitSignalDesc_t, sigIdx);
  FIELD(ncclWaitSignalDesc_t, ctx);
#endif
  return 0;
}
