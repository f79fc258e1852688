#include "runtime/comm_config.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"

namespace braid {
namespace {

const param::Flag kCommBlocking{"COMM_BLOCKING", param::kNcclAlias, true,
                                "0: communicators are non-blocking (init returns ncclInProgress); when set, it "
                                "overrides the config's blocking field, as in NCCL"};

constexpr int kUndefined = NCCL_CONFIG_UNDEF_INT;
constexpr int kMostChannels = 16;  // BRAID_MAX_NCHANNELS' and BRAID_SOCKET_NTHREADS' upper bound

// The NCCL version that added each int field: a config of an older version reads them as undefined (NCCL's
// rule, so that a program built against an older header never hands over what its struct did not have).
struct Since {
  int ncclConfig_t::*field;
  unsigned version;
};
const Since kIntFieldsSince[] = {
    {&ncclConfig_t::blocking, NCCL_VERSION(2, 14, 0)},
    {&ncclConfig_t::cgaClusterSize, NCCL_VERSION(2, 17, 0)},
    {&ncclConfig_t::minCTAs, NCCL_VERSION(2, 17, 0)},
    {&ncclConfig_t::maxCTAs, NCCL_VERSION(2, 17, 0)},
    {&ncclConfig_t::trafficClass, NCCL_VERSION(2, 25, 0)},
    {&ncclConfig_t::collnetEnable, NCCL_VERSION(2, 27, 0)},
    {&ncclConfig_t::CTAPolicy, NCCL_VERSION(2, 27, 0)},
    {&ncclConfig_t::shrinkShare, NCCL_VERSION(2, 27, 0)},
    {&ncclConfig_t::nvlsCTAs, NCCL_VERSION(2, 27, 0)},
    {&ncclConfig_t::nChannelsPerNetPeer, NCCL_VERSION(2, 28, 0)},
    {&ncclConfig_t::nvlinkCentricSched, NCCL_VERSION(2, 28, 0)},
    {&ncclConfig_t::graphUsageMode, NCCL_VERSION(2, 29, 0)},
    {&ncclConfig_t::numRmaCtx, NCCL_VERSION(2, 29, 0)},
    {&ncclConfig_t::maxP2pPeers, NCCL_VERSION(2, 30, 0)},
    {&ncclConfig_t::graphStreamOrdering, NCCL_VERSION(2, 30, 5)},
};

void forgetFieldsNewerThan(unsigned version, ncclConfig_t& c) {
  for (const Since& s : kIntFieldsSince)
    if (version < s.version) c.*s.field = kUndefined;
  if (version < NCCL_VERSION(2, 17, 0)) c.netName = NCCL_CONFIG_UNDEF_PTR;
}

// A field's value must be undefined or within what `accepted` says; else the config is refused, naming both.
void require(bool ok, const char* field, int value, const char* accepted) {
  if (!ok)
    fail(ncclInvalidArgument, std::string("config field ") + field + " is " + std::to_string(value) +
                                  "; accepted: " + accepted + " (or NCCL_CONFIG_UNDEF_INT for the default)");
}

void check(const ncclConfig_t& c) {
  auto undefOr = [](int v, bool ok) { return v == kUndefined || ok; };
  auto flag = [](int v) { return v == 0 || v == 1; };
  require(undefOr(c.blocking, flag(c.blocking)), "blocking", c.blocking, "0 or 1");
  require(undefOr(c.cgaClusterSize, c.cgaClusterSize >= 0), "cgaClusterSize", c.cgaClusterSize, "0 or more");
  require(undefOr(c.minCTAs, c.minCTAs > 0), "minCTAs", c.minCTAs, "1 or more");
  require(undefOr(c.maxCTAs, c.maxCTAs > 0), "maxCTAs", c.maxCTAs, "1 or more");
  if (c.minCTAs != kUndefined && c.maxCTAs != kUndefined)
    require(c.minCTAs <= c.maxCTAs, "minCTAs", c.minCTAs, "at most maxCTAs");
  require(undefOr(c.splitShare, flag(c.splitShare)), "splitShare", c.splitShare, "0 or 1");
  require(undefOr(c.trafficClass, c.trafficClass >= 0 && c.trafficClass <= 255), "trafficClass", c.trafficClass,
          "0 to 255 (the IP type-of-service byte)");
  require(undefOr(c.collnetEnable, flag(c.collnetEnable)), "collnetEnable", c.collnetEnable, "0 or 1");
  if (c.collnetEnable == 1)
    fail(ncclInvalidArgument,
         "config field collnetEnable is 1, but Braid has no CollNet (in-network reduction such as SHARP): leave it "
         "0 or undefined");
  const int policies = NCCL_CTA_POLICY_EFFICIENCY | NCCL_CTA_POLICY_ZERO;
  require(undefOr(c.CTAPolicy, c.CTAPolicy >= 0 && (c.CTAPolicy & ~policies) == 0), "CTAPolicy", c.CTAPolicy,
          "NCCL_CTA_POLICY_DEFAULT, _EFFICIENCY, _ZERO or a combination");
  require(undefOr(c.shrinkShare, flag(c.shrinkShare)), "shrinkShare", c.shrinkShare, "0 or 1");
  require(undefOr(c.nvlsCTAs, c.nvlsCTAs > 0), "nvlsCTAs", c.nvlsCTAs, "1 or more");
  require(undefOr(c.nChannelsPerNetPeer, c.nChannelsPerNetPeer > 0 && c.nChannelsPerNetPeer <= 64),
          "nChannelsPerNetPeer", c.nChannelsPerNetPeer, "1 to 64");
  require(undefOr(c.nvlinkCentricSched, flag(c.nvlinkCentricSched)), "nvlinkCentricSched", c.nvlinkCentricSched,
          "0 or 1");
  require(undefOr(c.graphUsageMode, c.graphUsageMode >= 0 && c.graphUsageMode <= 2), "graphUsageMode", c.graphUsageMode,
          "0, 1 or 2");
  require(undefOr(c.numRmaCtx, c.numRmaCtx >= 0), "numRmaCtx", c.numRmaCtx, "0 or more");
  require(undefOr(c.maxP2pPeers, c.maxP2pPeers > 0), "maxP2pPeers", c.maxP2pPeers, "1 or more");
  require(undefOr(c.graphStreamOrdering, flag(c.graphStreamOrdering)), "graphStreamOrdering", c.graphStreamOrdering,
          "0 or 1");
}

// Fields that steer GPU kernels, NVLink SHARP or CUDA graphs, which the host device does not
// have: accepted when valid, and said once per process at INFO.
void noteFieldsWithoutMeaningHere(const ncclConfig_t& c) {
  const std::pair<const char*, int> fields[] = {{"cgaClusterSize", c.cgaClusterSize},
                                                {"CTAPolicy", c.CTAPolicy},
                                                {"nvlsCTAs", c.nvlsCTAs},
                                                {"nvlinkCentricSched", c.nvlinkCentricSched},
                                                {"graphUsageMode", c.graphUsageMode},
                                                {"maxP2pPeers", c.maxP2pPeers},
                                                {"graphStreamOrdering", c.graphStreamOrdering},
                                                {"splitShare", c.splitShare},
                                                {"shrinkShare", c.shrinkShare}};
  static std::mutex mutex;
  static std::set<std::string> said;
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& [field, value] : fields)
    if (value != kUndefined && said.insert(field).second)
      BRAID_INFO("INIT", "config field %s=%d has no effect in Braid (docs/nccl-api.md)", field, value);
}

// The parts Braid applies, from checked fields and the strings they point to.
CommConfig resolve(const ncclConfig_t& fields, std::string name, std::optional<std::string> netName) {
  check(fields);
  noteFieldsWithoutMeaningHere(fields);
  CommConfig config;
  config.fields = fields;
  config.fields.commName = nullptr;  // the strings live in `name` and `netName`
  config.fields.netName = nullptr;
  config.name = std::move(name);
  config.netName = std::move(netName);
  config.blocking = kCommBlocking.setting()         ? kCommBlocking.get()
                    : fields.blocking == kUndefined ? true
                                                    : fields.blocking == 1;
  if (kCommBlocking.setting() && fields.blocking != kUndefined)
    BRAID_INFO("INIT", "config field blocking=%d overridden by BRAID_COMM_BLOCKING", fields.blocking);
  config.trafficClass = fields.trafficClass == kUndefined ? -1 : fields.trafficClass;
  auto channels = [](int ctas) { return ctas == kUndefined ? 0 : std::min(ctas, kMostChannels); };
  config.minChannels = channels(fields.minCTAs);
  config.maxChannels = channels(fields.maxCTAs);
  config.channelsPerNetPeer =
      fields.nChannelsPerNetPeer == kUndefined ? 0 : std::min(fields.nChannelsPerNetPeer, kMostChannels);
  return config;
}

}  // namespace

CommConfig readCommConfig(const ncclConfig_t* config) {
  if (!config) return resolve(NCCL_CONFIG_INITIALIZER, "", std::nullopt);
  size_t size = 0;
  std::memcpy(&size, config, sizeof size);  // the caller's struct may be shorter than ours: read what it declares
  if (config->magic != NCCL_API_MAGIC || size < offsetof(ncclConfig_t, blocking) + sizeof(int))
    fail(ncclInvalidArgument, "config was not initialized with NCCL_CONFIG_INITIALIZER");
  ncclConfig_t fields = NCCL_CONFIG_INITIALIZER;
  std::memcpy(&fields, config, std::min(size, sizeof fields));
  forgetFieldsNewerThan(fields.version, fields);
  fields.size = sizeof fields;
  return resolve(fields, fields.commName ? fields.commName : "",
                 fields.netName ? std::optional<std::string>(fields.netName) : std::nullopt);
}

CommConfig splitConfig(const CommConfig& parent, const ncclConfig_t* config) {
  if (config) return readCommConfig(config);
  return resolve(parent.fields, parent.name, parent.netName);
}

}  // namespace braid
