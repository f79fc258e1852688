#include "topology/rdma_devices.h"

#include <infiniband/verbs.h>

#include <cstdio>

#include "base/log.h"
#include "topology/discovery.h"

namespace braid::topo {
namespace {

// Lane rate in Mb/s of ibv_port_attr::active_speed, and the lane count of active_width.
long laneMbps(uint8_t speed) {
  switch (speed) {
    case 1: return 2500;  // SDR
    case 2: return 5000;  // DDR
    case 4:
    case 8: return 10000;     // QDR, FDR10
    case 16: return 14000;    // FDR
    case 32: return 25000;    // EDR
    case 64: return 50000;    // HDR
    case 128: return 100000;  // NDR
    default: return 0;
  }
}

int lanes(uint8_t width) {
  switch (width) {
    case 1: return 1;
    case 2: return 4;
    case 4: return 8;
    case 8: return 12;
    case 16: return 2;
    default: return 0;
  }
}

}  // namespace

std::vector<RdmaPort> listRdmaPorts() {
  std::vector<RdmaPort> result;
  int count = 0;
  ibv_device** devices = ibv_get_device_list(&count);
  if (!devices || count == 0) {
    BRAID_INFO("GRAPH", "libibverbs found no RDMA devices on this host");
    if (devices) ibv_free_device_list(devices);
    return result;
  }
  for (int d = 0; d < count; ++d) {
    ibv_context* context = ibv_open_device(devices[d]);
    if (!context) continue;
    ibv_device_attr attr{};
    if (ibv_query_device(context, &attr) == 0) {
      for (uint8_t p = 1; p <= attr.phys_port_cnt; ++p) {
        ibv_port_attr port{};
        if (ibv_query_port(context, p, &port) != 0) continue;
        RdmaPort r{ibv_get_device_name(devices[d]),
                   p,
                   ibv_port_state_str(port.state),
                   port.link_layer == IBV_LINK_LAYER_ETHERNET ? "ethernet" : "infiniband",
                   laneMbps(port.active_speed) * lanes(port.active_width),
                   ""};
        if (r.state.rfind("PORT_", 0) == 0) r.state = r.state.substr(5);
        ibv_gid gid{};
        if (ibv_query_gid(context, p, 0, &gid) == 0) {
          char text[48];
          const uint8_t* b = gid.raw;
          std::snprintf(text, sizeof text, "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                        b[15]);
          r.gid = text;
        }
        result.push_back(r);
      }
    }
    ibv_close_device(context);
  }
  ibv_free_device_list(devices);
  return result;
}

void augmentFromVerbs(XmlElement& system, const std::vector<RdmaPort>& ports) {
  for (const RdmaPort& p : ports) {
    XmlElement* net = netNamed(system, p.device);
    if (!net) continue;
    net->set("port", std::to_string(p.port));
    if (p.speedMbps > 0) net->set("speed", std::to_string(p.speedMbps));
    net->set("link_layer", p.linkLayer);
    net->set("state", p.state);
    if (!p.gid.empty()) net->set("gid", p.gid);
  }
}

}  // namespace braid::topo
