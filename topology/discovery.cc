#include "topology/discovery.h"

#include "topology/rdma_devices.h"

#include <hwloc.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace braid::topo {
namespace {

namespace fs = std::filesystem;

std::string readLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string hex(unsigned value, int digits) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%0*x", digits, value);
  return text;
}

std::string busIdOf(const hwloc_obj_t obj) {
  char text[16];
  std::snprintf(text, sizeof text, "%04x:%02x:%02x.%01x", obj->attr->pcidev.domain, obj->attr->pcidev.bus,
                obj->attr->pcidev.dev, obj->attr->pcidev.func);
  return text;
}

// The NUMA node an I/O object hangs under (0 when hwloc attached it to the whole machine).
int numaOf(hwloc_obj_t obj) {
  while (obj && !obj->cpuset) obj = obj->parent;
  if (!obj || !obj->nodeset) return 0;
  int first = hwloc_bitmap_first(obj->nodeset);
  return first < 0 ? 0 : first;
}

class Walker {
 public:
  explicit Walker(hwloc_topology_t topology) : topology_(topology) {}

  // Converts the I/O subtree below `obj` into children of `parent`.
  void ioChildren(hwloc_obj_t obj, XmlElement& parent) {
    for (hwloc_obj_t child = obj->io_first_child; child; child = child->next_sibling) convert(child, parent);
  }

 private:
  void convert(hwloc_obj_t obj, XmlElement& parent) {
    if (obj->type == HWLOC_OBJ_BRIDGE) {
      if (obj->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_HOST) return ioChildren(obj, parent);  // not a device
      XmlElement& pci = parent.add("pci");
      pci.set("busid", busIdOf(obj));
      pci.set("class", "0x060400");
      ioChildren(obj, pci);
      return;
    }
    if (obj->type != HWLOC_OBJ_PCI_DEVICE) return;
    XmlElement& pci = parent.add("pci");
    pci.set("busid", busIdOf(obj));
    pci.set("class", hex(obj->attr->pcidev.class_id << 8, 6));
    pci.set("vendor", hex(obj->attr->pcidev.vendor_id, 4));
    pci.set("device", hex(obj->attr->pcidev.device_id, 4));
    const std::string vendor = acceleratorVendor(obj->attr->pcidev.vendor_id);
    const unsigned baseClass = obj->attr->pcidev.class_id >> 8;
    if (!vendor.empty() && (baseClass == 0x03 || baseClass == 0x12)) {  // display or processing accelerator
      XmlElement& dev = pci.add(vendor == "nvidia" ? "gpu" : "accel");
      dev.set("dev", std::to_string(accelerators_++));
      if (vendor != "nvidia") dev.set("vendor", vendor);
    }
    for (hwloc_obj_t os = obj->io_first_child; os; os = os->next_sibling) {
      if (os->type != HWLOC_OBJ_OS_DEVICE) continue;
      if (os->attr->osdev.type == HWLOC_OBJ_OSDEV_NETWORK || os->attr->osdev.type == HWLOC_OBJ_OSDEV_OPENFABRICS) {
        XmlElement& net = pci.add("nic").add("net");
        net.set("name", os->name);
        net.set("dev", std::to_string(nics_++));
        net.set("port", "1");
        net.set("link_layer", os->attr->osdev.type == HWLOC_OBJ_OSDEV_OPENFABRICS ? "infiniband" : "ethernet");
      }
    }
    ioChildren(obj, pci);
  }

  hwloc_topology_t topology_;
  int accelerators_ = 0, nics_ = 0;
};

// sysfs's rate text "200 Gb/sec (4X HDR)" in Mb/s.
long rateMbps(const std::string& rate) { return static_cast<long>(std::atof(rate.c_str()) * 1000); }

XmlElement* findNet(XmlElement& e, const std::string& name) {
  if (e.tag == "net" && e.get("name") == name) return &e;
  for (XmlElement& c : e.children)
    if (XmlElement* found = findNet(c, name)) return found;
  return nullptr;
}

}  // namespace

XmlElement* netNamed(XmlElement& system, const std::string& name) {
  if (XmlElement* net = findNet(system, name)) return net;
  for (XmlElement& c : system.children) {
    if (c.tag != "cpu") continue;
    XmlElement& net = c.add("nic").add("net");
    net.set("name", name);
    net.set("port", "1");
    return &net;
  }
  return nullptr;
}

namespace {

void augmentPci(XmlElement& e, const fs::path& sysfs) {
  if (e.tag == "pci") {
    fs::path dev = sysfs / "bus/pci/devices" / e.get("busid");
    std::string speed = readLine(dev / "current_link_speed"), width = readLine(dev / "current_link_width");
    if (!speed.empty() && speed.find("Unknown") == std::string::npos) e.set("link_speed", speed);
    if (!width.empty() && std::atoi(width.c_str()) > 0) e.set("link_width", width);
  }
  if (e.tag == "net") {
    const std::string name = e.get("name");
    std::string speed = readLine(sysfs / "class/net" / name / "speed");
    if (!speed.empty() && std::atol(speed.c_str()) > 0) e.set("speed", speed);
  }
  for (XmlElement& c : e.children) augmentPci(c, sysfs);
}

}  // namespace

std::string acceleratorVendor(unsigned id) {
  switch (id) {
    case 0x10de: return "nvidia";
    case 0x19e5: return "huawei";
    case 0xcabc: return "cambricon";
    case 0x9999: return "metax";
    case 0x1ed5: return "mthreads";
    case 0x1d94: return "hygon";
    default: return "";
  }
}

void augmentFromSysfs(XmlElement& system, const std::string& root) {
  const fs::path sysfs(root);
  augmentPci(system, sysfs);
  std::error_code ec;
  for (const fs::directory_entry& ib : fs::directory_iterator(sysfs / "class/infiniband", ec)) {
    XmlElement* net = netNamed(system, ib.path().filename());
    if (!net) continue;
    const fs::path port = ib.path() / "ports/1";
    if (std::string rate = readLine(port / "rate"); !rate.empty()) net->set("speed", std::to_string(rateMbps(rate)));
    if (std::string layer = readLine(port / "link_layer"); !layer.empty())
      net->set("link_layer", layer == "InfiniBand" ? "infiniband" : "ethernet");
    if (std::string state = readLine(port / "state"); !state.empty())
      net->set("state", state.substr(state.find(' ') + 1));
    if (std::string gid = readLine(port / "gids/0"); !gid.empty()) net->set("gid", gid);
  }
}

XmlElement discoverHost(const std::string& sysfsRoot) {
  hwloc_topology_t topology;
  hwloc_topology_init(&topology);
  // hwloc's Linux backend reads the PCI tree from sysfs; its libpciaccess plugin adds nothing we use and leaks
  // memory from a module it unloads again (seen under LeakSanitizer).
  hwloc_topology_set_components(topology, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
  hwloc_topology_set_io_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  hwloc_topology_load(topology);

  char host[256] = {};
  gethostname(host, sizeof host - 1);
  XmlElement system{"system", {{"version", "1"}, {"name", host}}, {}, 0};
  hwloc_obj_t machine = hwloc_get_root_obj(topology);
  const int numaCount = std::max(1, hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE));
  std::vector<XmlElement*> cpus;
  for (int n = 0; n < numaCount; ++n) {
    hwloc_obj_t numa = hwloc_get_obj_by_type(topology, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(n));
    XmlElement& cpu = system.add("cpu");
    cpu.set("numaid", std::to_string(numa ? numa->os_index : 0u));
    char* affinity = nullptr;
    hwloc_bitmap_asprintf(&affinity, numa ? numa->cpuset : machine->cpuset);
    cpu.set("affinity", affinity ? affinity : "");
    free(affinity);
    const char* arch = hwloc_obj_get_info_by_name(machine, "Architecture");
    hwloc_obj_t package = hwloc_get_obj_by_type(topology, HWLOC_OBJ_PACKAGE, 0);
    const char* vendor = package ? hwloc_obj_get_info_by_name(package, "CPUVendor") : nullptr;
    const char* model = package ? hwloc_obj_get_info_by_name(package, "CPUModel") : nullptr;
    if (arch) cpu.set("arch", arch);
    if (vendor) cpu.set("vendor", vendor);
    if (model) cpu.set("model", model);
    cpus.push_back(&cpu);
  }
  // Host bridges hang under the NUMA node (or package, or the whole machine) they belong to.
  Walker walker(topology);
  for (hwloc_obj_t bridge = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_BRIDGE, nullptr); bridge;
       bridge = hwloc_get_next_obj_by_type(topology, HWLOC_OBJ_BRIDGE, bridge)) {
    if (bridge->parent && bridge->parent->type == HWLOC_OBJ_BRIDGE) continue;  // reached through its parent
    int numa = numaOf(bridge->parent);
    XmlElement& cpu = *cpus[static_cast<size_t>(numa) < cpus.size() ? numa : 0];
    walker.ioChildren(bridge, cpu);
  }
  hwloc_topology_destroy(topology);
  augmentFromSysfs(system, sysfsRoot);
  augmentFromVerbs(system, listRdmaPorts());  // the verbs API has the last word on RDMA ports
  return system;
}

}  // namespace braid::topo
