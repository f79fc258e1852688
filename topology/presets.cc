#include "topology/presets.h"

#include <cstdio>
#include <functional>

namespace braid::topo {
namespace {

// One server: CPUs, each with PCIe switches holding accelerators and NICs.
struct Server {
  std::string name;
  int cpus = 2;
  std::string cpuVendor, cpuModel, arch = "x86_64";
  std::string familyId, modelId;  // as NCCL writes them (decimal CPUID family and model); empty when unknown
  int switchesPerCpu = 2;
  int devicesPerSwitch = 2;  // accelerators under each switch
  int nicsPerSwitch = 2;
  std::string pcieSpeed = "16.0 GT/s PCIe";
  int pcieWidth = 16;
  std::string deviceTag = "accel";  // "gpu" for NVIDIA (NCCL's element)
  std::string vendor, model;
  int sm = 0;
  int nicMbps = 200000;
  std::string linkLayer = "infiniband";
  std::string sysBandwidth;  // GB/s over the CPU interconnect, when known
};

std::string busId(int bus) {
  char text[24];  // room for any int, though buses are 0-255
  std::snprintf(text, sizeof text, "0000:%02x:00.0", bus);
  return text;
}

// Builds the tree; `wire(device, busIds, element)` adds each accelerator's vendor links.
XmlElement build(const Server& s, const std::function<void(int, const std::vector<std::string>&, XmlElement&)>& wire) {
  XmlElement system{"system", {{"version", "1"}, {"name", s.name}}, {}, 0};
  if (!s.sysBandwidth.empty()) system.set("sys_bw", s.sysBandwidth);
  const int devices = s.cpus * s.switchesPerCpu * s.devicesPerSwitch;
  std::vector<std::string> deviceBus;
  for (int d = 0; d < devices; ++d)
    deviceBus.push_back(busId(0x10 + 0x10 * (d / s.devicesPerSwitch) + 1 + d % s.devicesPerSwitch));
  std::vector<XmlElement*> deviceElements;
  int device = 0, nic = 0;
  for (int c = 0; c < s.cpus; ++c) {
    XmlElement& cpu = system.add("cpu");
    cpu.attributes = {{"numaid", std::to_string(c)}, {"arch", s.arch}, {"vendor", s.cpuVendor}, {"model", s.cpuModel}};
    if (!s.familyId.empty()) cpu.set("familyid", s.familyId), cpu.set("modelid", s.modelId);
    for (int w = 0; w < s.switchesPerCpu; ++w) {
      const int sw = c * s.switchesPerCpu + w;
      XmlElement& pciSwitch = cpu.add("pci");
      pciSwitch.attributes = {{"busid", busId(0x10 + 0x10 * sw)},
                              {"class", "0x060400"},
                              {"link_speed", s.pcieSpeed},
                              {"link_width", std::to_string(s.pcieWidth)}};
      for (int d = 0; d < s.devicesPerSwitch; ++d, ++device) {
        XmlElement& pci = pciSwitch.add("pci");
        pci.attributes = {{"busid", deviceBus[device]},
                          {"class", s.deviceTag == "gpu" ? "0x030200" : "0x120000"},
                          {"link_speed", s.pcieSpeed},
                          {"link_width", std::to_string(s.pcieWidth)}};
        XmlElement& dev = pci.add(s.deviceTag);
        if (s.deviceTag == "gpu") {
          dev.attributes = {{"dev", std::to_string(device)},
                            {"sm", std::to_string(s.sm)},
                            {"rank", std::to_string(device)},
                            {"gdr", "1"}};
        } else {
          dev.attributes = {{"dev", std::to_string(device)}, {"vendor", s.vendor}, {"model", s.model}};
        }
      }
      for (int n = 0; n < s.nicsPerSwitch; ++n, ++nic) {
        XmlElement& pci = pciSwitch.add("pci");
        pci.attributes = {{"busid", busId(0x10 + 0x10 * sw + 8 + n)},
                          {"class", "0x020700"},
                          {"link_speed", s.pcieSpeed},
                          {"link_width", std::to_string(s.pcieWidth)}};
        XmlElement& net = pci.add("nic").add("net");
        net.attributes = {{"name", (s.linkLayer == "infiniband" ? "mlx5_" : "eth") + std::to_string(nic)},
                          {"dev", std::to_string(nic)},
                          {"speed", std::to_string(s.nicMbps)},
                          {"port", "1"},
                          {"link_layer", s.linkLayer}};
      }
    }
  }
  // Attach the vendor links now that every bus id is known.
  device = 0;
  for (XmlElement& cpu : system.children)
    for (XmlElement& sw : cpu.children)
      for (XmlElement& pci : sw.children)
        for (XmlElement& dev : pci.children)
          if (dev.tag == s.deviceTag) wire(device++, deviceBus, dev);
  return system;
}

void link(XmlElement& dev, const std::string& type, const std::string& target, int count, double bw) {
  XmlElement& l = dev.add("link");
  char text[32];
  std::snprintf(text, sizeof text, "%g", bw);
  l.attributes = {{"target", target}, {"type", type}, {"count", std::to_string(count)}, {"bw", text}};
}

// Every device of a group linked to every other.
void fullMesh(int device, const std::vector<std::string>& bus, XmlElement& dev, int groupSize, const std::string& type,
              double bw) {
  const int group = device / groupSize;
  for (int peer = group * groupSize; peer < (group + 1) * groupSize; ++peer)
    if (peer != device) link(dev, type, bus[peer], 1, bw);
}

// NVIDIA boxes: every GPU's NVLinks go to the NVSwitch fabric, written as NCCL does (target of class 0x068000).
void toNvSwitch(XmlElement& dev, int links) {
  XmlElement& l = dev.add("nvlink");
  l.attributes = {{"target", "0000:f0:00.0"}, {"count", std::to_string(links)}, {"tclass", "0x068000"}};
}

XmlElement dgxA100() {
  Server s;
  s.name = "dgx-a100", s.cpuVendor = "AMD", s.cpuModel = "EPYC 7742", s.deviceTag = "gpu", s.sm = 80;
  s.familyId = "23", s.modelId = "49";  // Zen 2
  return build(s, [](int, const std::vector<std::string>&, XmlElement& dev) { toNvSwitch(dev, 12); });
}

XmlElement dgxH100() {
  Server s;
  s.name = "dgx-h100", s.cpuVendor = "Intel", s.cpuModel = "Xeon Platinum 8480C", s.deviceTag = "gpu", s.sm = 90;
  s.pcieSpeed = "32.0 GT/s PCIe", s.nicMbps = 400000, s.familyId = "6", s.modelId = "143";  // Sapphire Rapids
  return build(s, [](int, const std::vector<std::string>&, XmlElement& dev) { toNvSwitch(dev, 18); });
}

XmlElement atlas800tA2() {
  Server s;
  s.name = "atlas-800t-a2", s.cpus = 4, s.cpuVendor = "Huawei", s.cpuModel = "Kunpeng 920", s.arch = "aarch64";
  s.switchesPerCpu = 1, s.devicesPerSwitch = 2, s.nicsPerSwitch = 2, s.vendor = "huawei", s.model = "Ascend 910B";
  s.pcieSpeed = "32.0 GT/s PCIe", s.linkLayer = "ethernet";  // one 200 GbE RoCE port per NPU
  return build(
      s, [](int d, const std::vector<std::string>& bus, XmlElement& dev) { fullMesh(d, bus, dev, 8, "hccs", 56); });
}

XmlElement mlu370x8() {
  // 4 MLU370-X8 cards x 2 chips; the MLU-Link bridge joins the 4 cards (~200 GB/s per card).
  Server s;
  s.name = "mlu370-x8", s.cpuVendor = "Intel", s.cpuModel = "Xeon Gold 6330", s.switchesPerCpu = 1,
  s.devicesPerSwitch = 4, s.nicsPerSwitch = 1, s.vendor = "cambricon", s.model = "MLU370-X8", s.nicMbps = 100000;
  s.familyId = "6", s.modelId = "106";  // Ice Lake
  return build(s, [](int d, const std::vector<std::string>& bus, XmlElement& dev) {
    const int card = d / 2, chip = d % 2;
    link(dev, "mlulink", bus[card * 2 + 1 - chip], 1, 100);  // the two chips of a card
    for (int other = 0; other < 4; ++other)
      if (other != card) link(dev, "mlulink", bus[other * 2 + chip], 1, 200.0 / 6);  // card bandwidth over the bridge
  });
}

XmlElement metaxC500() {
  // Two 4-GPU MetaXLink full meshes, one per CPU, joined only through PCIe and the CPU interconnect.
  Server s;
  s.name = "metax-c500", s.cpuVendor = "Intel", s.cpuModel = "Xeon Platinum 8470", s.vendor = "metax", s.model = "C500",
  s.pcieSpeed = "32.0 GT/s PCIe", s.nicsPerSwitch = 1, s.familyId = "6", s.modelId = "143";  // Sapphire Rapids
  return build(s, [](int d, const std::vector<std::string>& bus, XmlElement& dev) {
    fullMesh(d, bus, dev, 4, "metaxlink", 64);
  });
}

XmlElement mttS4000() {
  Server s;
  s.name = "mtt-s4000", s.cpuVendor = "Intel", s.cpuModel = "Xeon Platinum 8380", s.vendor = "mthreads",
  s.model = "MTT S4000", s.nicsPerSwitch = 1, s.familyId = "6", s.modelId = "106";  // Ice Lake
  // MTLink 1.0: ~240 GB/s per card, spread over a 4-card bridge (3 peers).
  return build(
      s, [](int d, const std::vector<std::string>& bus, XmlElement& dev) { fullMesh(d, bus, dev, 4, "mtlink", 80); });
}

XmlElement hygonBw1000() {
  Server s;
  s.name = "hygon-bw1000", s.cpuVendor = "Hygon", s.cpuModel = "C86 7390", s.vendor = "hygon", s.model = "BW1000",
  s.nicsPerSwitch = 1, s.sysBandwidth = "16";
  return build(
      s, [](int d, const std::vector<std::string>& bus, XmlElement& dev) { fullMesh(d, bus, dev, 8, "xgmi", 46); });
}

XmlElement cpuNode() {
  XmlElement system{"system", {{"version", "1"}, {"name", "cpu-node"}}, {}, 0};
  for (int c = 0; c < 2; ++c) {
    XmlElement& cpu = system.add("cpu");
    cpu.attributes = {{"numaid", std::to_string(c)}, {"arch", "x86_64"}, {"vendor", "Intel"}, {"model", "Xeon"}};
    if (c == 0) {
      XmlElement& pci = cpu.add("pci");
      pci.attributes = {
          {"busid", "0000:3b:00.0"}, {"class", "0x020000"}, {"link_speed", "8.0 GT/s PCIe"}, {"link_width", "16"}};
      pci.add("nic").add("net").attributes = {
          {"name", "eth0"}, {"dev", "0"}, {"speed", "100000"}, {"port", "1"}, {"link_layer", "ethernet"}};
    }
  }
  return system;
}

struct Entry {
  PresetInfo info;
  XmlElement (*make)();
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> list = {
      {{"dgx-a100", "NVIDIA DGX A100: 8x A100 (NVLink3 via NVSwitch, 12 x 25 GB/s), 2x EPYC 7742, 8x 200 Gb/s IB"},
       dgxA100},
      {{"dgx-h100", "NVIDIA DGX H100: 8x H100 (NVLink4 via NVSwitch, 18 x 25 GB/s), 2x Xeon 8480C, 8x 400 Gb/s IB"},
       dgxH100},
      {{"atlas-800t-a2",
        "Huawei Atlas 800T A2: 8x Ascend 910B, HCCS full mesh (56 GB/s links), 4x Kunpeng 920, 8x 200 GbE RoCE"},
       atlas800tA2},
      {{"mlu370-x8", "Cambricon: 4x MLU370-X8 cards (2 chips each), MLU-Link bridge (~200 GB/s per card)"}, mlu370x8},
      {{"metax-c500", "MetaX C500 8-GPU server: two 4-GPU MetaXLink full meshes joined over PCIe/SYS"}, metaxC500},
      {{"mtt-s4000", "Moore Threads: 8x MTT S4000, MTLink 1.0 (~240 GB/s per card) in two 4-card groups"}, mttS4000},
      {{"hygon-bw1000", "Hygon: 8x DCU BW1000, xGMI full mesh (assumed figures)"}, hygonBw1000},
      {{"cpu-node", "A plain two-socket host with one 100 GbE NIC"}, cpuNode},
  };
  return list;
}

}  // namespace

const std::vector<PresetInfo>& presetList() {
  static const std::vector<PresetInfo> infos = [] {
    std::vector<PresetInfo> v;
    for (const Entry& e : entries()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

XmlElement presetTopology(const std::string& name) {
  for (const Entry& e : entries())
    if (e.info.name == name) return e.make();
  throw TopologyError("unknown preset '" + name + "' (braid topo --list-presets)");
}

}  // namespace braid::topo
