// Topology: discovery (this machine and a fixture sysfs tree), NCCL dumps, round trips, presets, vendor-tool
// matrices, paths, renderers and the errors malformed files produce.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "topology/discovery.h"
#include "topology/graph.h"
#include "topology/paths.h"
#include "topology/presets.h"
#include "topology/rdma_devices.h"
#include "topology/render.h"
#include "topology/vendor_matrix.h"

namespace braid::topo {
namespace {

const std::string kData = BRAID_TEST_DATA_DIR;

int nodeNamed(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

const XmlElement* findElement(const XmlElement& e, const std::string& tag, const std::string& key,
                              const std::string& value) {
  if (e.tag == tag && e.get(key) == value) return &e;
  for (const XmlElement& c : e.children)
    if (const XmlElement* found = findElement(c, tag, key, value)) return found;
  return nullptr;
}

void stripVendorLinks(XmlElement& e) {
  e.children.erase(std::remove_if(e.children.begin(), e.children.end(),
                                  [](const XmlElement& c) { return c.tag == "link" || c.tag == "nvlink"; }),
                   e.children.end());
  for (XmlElement& c : e.children) stripVendorLinks(c);
}

TEST(TopologyDiscovery, ThisMachine) {
  XmlElement system = discoverHost();
  ASSERT_EQ(system.tag, "system");
  ASSERT_NE(findElement(system, "cpu", "numaid", "0"), nullptr) << writeXml(system);
  Graph g = buildGraph(system, "discovery");
  EXPECT_GE(nodeNamed(g, "CPU0"), 0);
  // The machines this project runs on have their Ethernet device at 0000:00:03.0.
  if (std::filesystem::exists("/sys/bus/pci/devices/0000:00:03.0/net/eth0")) {
    const XmlElement* pci = findElement(system, "pci", "busid", "0000:00:03.0");
    ASSERT_NE(pci, nullptr) << writeXml(system);
    ASSERT_NE(findElement(*pci, "net", "name", "eth0"), nullptr) << writeXml(system);
    std::string text = renderText(system, g);
    EXPECT_NE(text.find("net name=eth0"), std::string::npos);
    // Either the kernel reports a speed or the output says what it assumed.
    EXPECT_TRUE(findElement(*pci, "net", "name", "eth0")->find("speed") ||
                text.find("speed of eth0 unknown: assumed 10 Gb/s") != std::string::npos)
        << text;
  }
  EXPECT_EQ(writeXml(parseXml(writeXml(system), "again")), writeXml(system));
}

TEST(TopologyDiscovery, FixtureSysfsTree) {
  XmlElement system = parseXml(R"(<system version="1"><cpu numaid="0">
    <pci busid="0000:3b:00.0" class="0x020000"><nic><net name="eth0" dev="0"/></nic></pci></cpu></system>)",
                               "inline");
  augmentFromSysfs(system, kData + "/sysfs/fixture-host");
  const XmlElement* pci = findElement(system, "pci", "busid", "0000:3b:00.0");
  EXPECT_EQ(pci->get("link_speed"), "16.0 GT/s PCIe");
  EXPECT_EQ(pci->get("link_width"), "16");
  EXPECT_EQ(findElement(system, "net", "name", "eth0")->get("speed"), "25000");
  const XmlElement* roce = findElement(system, "net", "name", "mlx5_0");  // RDMA device hwloc did not report
  ASSERT_NE(roce, nullptr);
  EXPECT_EQ(roce->get("speed"), "200000");
  EXPECT_EQ(roce->get("link_layer"), "ethernet");
  EXPECT_EQ(roce->get("state"), "ACTIVE");
  EXPECT_EQ(roce->get("gid"), "fe80:0000:0000:0000:0ac0:ebff:fe12:3456");
  Graph g = buildGraph(system, "fixture");
  EXPECT_TRUE(g.notes.empty());
}

TEST(TopologyDiscovery, RdmaPortsFromVerbs) {
  // Whatever this host has (CI has no RDMA devices: an empty list, and discovery goes on).
  for (const RdmaPort& p : listRdmaPorts()) {
    EXPECT_FALSE(p.device.empty());
    EXPECT_TRUE(p.linkLayer == "ethernet" || p.linkLayer == "infiniband");
  }
  XmlElement system = parseXml("<system><cpu numaid=\"0\"/></system>", "inline");
  augmentFromVerbs(system, {{"mlx5_1", 1, "ACTIVE", "infiniband", 400000, "fe80:0000:0000:0000:0000:0000:0000:0001"}});
  const XmlElement* net = findElement(system, "net", "name", "mlx5_1");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->get("speed"), "400000");
  EXPECT_EQ(net->get("state"), "ACTIVE");
  EXPECT_EQ(acceleratorVendor(0x19e5), "huawei");
  EXPECT_EQ(acceleratorVendor(0x10de), "nvidia");
  EXPECT_EQ(acceleratorVendor(0x1af4), "");
}

TEST(TopologyFiles, NcclDumpLoadsUnchanged) {
  const std::string path = kData + "/topology/nccl_dump_dgx_a100.xml";
  XmlElement root = loadXmlFile(path);
  Graph g = buildGraph(root, path);
  PathTable paths(g);
  const int gpu0 = nodeNamed(g, "GPU0"), gpu1 = nodeNamed(g, "GPU1"), nic = nodeNamed(g, "mlx5_0");
  ASSERT_GE(gpu0, 0);
  ASSERT_GE(nic, 0);
  // Two links to each of six NVSwitches: one switch fabric of 12 links, as nvidia-smi and NCCL see it.
  EXPECT_EQ(paths.between(gpu0, gpu1).pathClass, "NV12");
  EXPECT_DOUBLE_EQ(paths.between(gpu0, gpu1).bandwidth, 300.0);
  EXPECT_EQ(paths.between(gpu0, nic).pathClass, "PIX");  // GPU and NIC share the PCIe switch 0000:07:00.0
  // NCCL attributes Braid does not interpret survive a rewrite.
  EXPECT_NE(writeXml(root).find("guid=\"0x2e3b6a0003a1420c\""), std::string::npos);
}

TEST(TopologyFiles, EveryPresetRoundTripsByteForByte) {
  for (const PresetInfo& p : presetList()) {
    std::string once = writeXml(presetTopology(p.name));
    EXPECT_EQ(writeXml(parseXml(once, p.name)), once) << p.name;
    EXPECT_NO_THROW(PathTable(buildGraph(parseXml(once, p.name), p.name))) << p.name;
  }
}

struct BadFile {
  const char* text;
  const char* expected;
};

TEST(TopologyFiles, MalformedFilesNameFileLineAndProblem) {
  const BadFile cases[] = {
      {"<system version=\"1\">\n  <cpu numaid=\"0\">\n    <pci busid=\"0000:01:00.0\"\n</system>\n",
       "bad.xml:4: malformed XML"},
      {"<system>\n<cpu>\n<pci busid=\"0000:01:00.0\"><accel dev=\"0\">\n<link target=\"0000:99:00.0\" type=\"hccs\"/>\n"
       "</accel></pci></cpu></system>",
       "bad.xml:4: link target 0000:99:00.0 is not a device"},
      {"<system>\n<cpu>\n<pci busid=\"0000:01:00.0\"><accel dev=\"0\"/></pci>\n<pci busid=\"0000:02:00.0\"><accel "
       "dev=\"1\">\n"
       "<link target=\"0000:01:00.0\" type=\"hccs\" bw=\"-5\"/></accel></pci></cpu></system>",
       "bad.xml:5: <link> bw=\"-5\" is negative"},
      {"<system>\n<cpu>\n<pci busid=\"0000:01:00.0\"/>\n<pci busid=\"0000:01:00.0\"/>\n</cpu></system>",
       "bad.xml:4: duplicate busid 0000:01:00.0 (first at line 3)"},
      {"<system>\n<cpu>\n<pci busid=\"0000:01:00.0\" link_width=\"-16\"/></cpu></system>",
       "bad.xml:3: <pci> link_width=\"-16\" is negative"},
      {"<topology/>", "bad.xml:1: expected <system> or <cluster>"},
      // Found by the fuzzer: a huge count used to overflow an int.
      {"<system>\n<cpu>\n<pci busid=\"0000:01:00.0\"><gpu dev=\"0\">\n<nvlink target=\"0000:02:00.0\" "
       "count=\"1.1e34\"/>\n"
       "</gpu></pci></cpu></system>",
       "bad.xml:4: <nvlink> count=\"1.1e34\" is out of range"},
      {"<system>\n<cpu>\n<pci busid=\"0000:01:00.0\"><nic><net name=\"x\" speed=\"inf\"/></nic></pci></cpu></system>",
       "bad.xml:3: <net> speed=\"inf\" is not a number"},
  };
  for (const BadFile& c : cases) {
    try {
      buildGraph(parseXml(c.text, "bad.xml"), "bad.xml");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const TopologyError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.expected, 0), 0u) << "got: " << e.what();
    }
  }
}

TEST(TopologyPresets, AtlasMatrixShowsHccsBetweenAllEightNpus) {
  Graph g = buildGraph(presetTopology("atlas-800t-a2"), "atlas");
  PathTable paths(g);
  for (int a = 0; a < 8; ++a)
    for (int b = 0; b < 8; ++b) {
      if (a == b) continue;
      EXPECT_EQ(
          paths.between(nodeNamed(g, "NPU" + std::to_string(a)), nodeNamed(g, "NPU" + std::to_string(b))).pathClass,
          "HCCS");
    }
  std::string matrix = renderMatrix(g, paths);
  EXPECT_NE(matrix.find("NPU0  X     HCCS  HCCS  HCCS  HCCS  HCCS  HCCS  HCCS"), std::string::npos) << matrix;
}

TEST(TopologyPresets, PathsBandwidthsAndNearestNics) {
  Graph h100 = buildGraph(presetTopology("dgx-h100"), "h100");
  PathTable p(h100);
  EXPECT_DOUBLE_EQ(p.between(nodeNamed(h100, "GPU0"), nodeNamed(h100, "GPU5")).bandwidth, 450.0);  // 18 x 25 GB/s
  EXPECT_EQ(p.between(nodeNamed(h100, "GPU0"), nodeNamed(h100, "GPU5")).pathClass, "NV18");
  std::vector<int> nics = p.nearestNics(nodeNamed(h100, "GPU2"));
  ASSERT_EQ(nics.size(), 2u);
  EXPECT_EQ(h100.nodes[nics[0]].name, "mlx5_2");
  Graph metax = buildGraph(presetTopology("metax-c500"), "metax");
  PathTable m(metax);
  EXPECT_EQ(m.between(nodeNamed(metax, "GPU0"), nodeNamed(metax, "GPU3")).pathClass, "MXL");
  EXPECT_EQ(m.between(nodeNamed(metax, "GPU0"), nodeNamed(metax, "GPU4")).pathClass, "SYS");
  const Path& sys = m.between(nodeNamed(metax, "GPU0"), nodeNamed(metax, "GPU4"));
  EXPECT_EQ(metax.nodes[sys.hops[1]].kind, NodeKind::PciSwitch);
  EXPECT_DOUBLE_EQ(sys.bandwidth, 22.0);  // Sapphire Rapids' UPI as NCCL rates it
}

// A CPU at an end of a path counts as crossed: two sockets of a CPU-only host talk over SYS (the ring's hop between
// them goes through shared memory), and a NIC reaches its CPU over PHB.
TEST(TopologyPresets, PathsFromACpuCountItsHostBridge) {
  Graph host = buildGraph(presetTopology("cpu-node"), "cpu-node");
  PathTable p(host);
  EXPECT_EQ(p.between(nodeNamed(host, "CPU0"), nodeNamed(host, "CPU1")).pathClass, "SYS");
  EXPECT_EQ(p.between(nodeNamed(host, "CPU0"), nodeNamed(host, "eth0")).pathClass, "PHB");
}

TEST(TopologyGraph, CpuInterconnectFollowsNcclsFigurePerCpuGeneration) {
  auto sysBandwidth = [](const std::string& vendor, const std::string& ids) {
    const std::string cpu = "<cpu numaid=\"%\" arch=\"x86_64\" vendor=\"" + vendor + "\" " + ids + "/>";
    std::string xml = "<system version=\"1\">" + cpu + cpu + "</system>";
    xml.replace(xml.find('%'), 1, "0");
    xml.replace(xml.find('%'), 1, "1");
    const Graph g = buildGraph(parseXml(xml, "cpus.xml"), "cpus.xml");
    for (const Link& l : g.links)
      if (l.kind == LinkKind::CpuInterconnect) return l.bandwidth;
    return 0.0;
  };
  EXPECT_DOUBLE_EQ(sysBandwidth("GenuineIntel", "familyid=\"6\" modelid=\"79\""), 6.0);    // Broadwell
  EXPECT_DOUBLE_EQ(sysBandwidth("GenuineIntel", "familyid=\"6\" modelid=\"85\""), 10.0);   // Skylake
  EXPECT_DOUBLE_EQ(sysBandwidth("GenuineIntel", "familyid=\"6\" modelid=\"143\""), 22.0);  // Sapphire Rapids
  EXPECT_DOUBLE_EQ(sysBandwidth("GenuineIntel", "familyid=\"6\" modelid=\"207\""), 40.0);  // Emerald Rapids
  EXPECT_DOUBLE_EQ(sysBandwidth("AuthenticAMD", "familyid=\"23\" modelid=\"49\""), 16.0);  // Zen 2
  EXPECT_DOUBLE_EQ(sysBandwidth("AuthenticAMD", "familyid=\"25\" modelid=\"17\""), 24.0);  // Zen 4
  EXPECT_DOUBLE_EQ(sysBandwidth("AuthenticAMD", "familyid=\"26\" modelid=\"2\""), 32.0);   // Zen 5
  EXPECT_DOUBLE_EQ(sysBandwidth("GenuineIntel", ""), 10.0);                                // no ids: as before
  EXPECT_DOUBLE_EQ(sysBandwidth("AuthenticAMD", ""), 16.0);
  try {
    sysBandwidth("GenuineIntel", "familyid=\"six\" modelid=\"143\"");
    ADD_FAILURE() << "a family id that is not a number was taken";
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find("cpus.xml:1: <cpu> familyid=\"six\" is not a number"), std::string::npos)
        << e.what();
  }
}

TEST(TopologyVendorTools, CapturedMatricesBecomeVendorLinks) {
  struct Case {
    const char* file;
    const char* preset;
    const char* a;
    const char* b;
    const char* expected;
  };
  const Case cases[] = {
      {"nvidia_smi_topo_dgx_a100.txt", "dgx-a100", "GPU0", "GPU7", "NV12"},
      {"npu_smi_topo_atlas_800t_a2.txt", "atlas-800t-a2", "NPU1", "NPU6", "HCCS"},
      {"mx_smi_topo_c500.txt", "metax-c500", "GPU1", "GPU2", "MXL"},
      {"mx_smi_topo_c500.txt", "metax-c500", "GPU1", "GPU6", "SYS"},
  };
  for (const Case& c : cases) {
    const std::string path = kData + "/topology/" + c.file;
    VendorMatrix matrix = parseVendorMatrix(readTextFile(path), path);
    ASSERT_EQ(matrix.devices.size(), 8u) << c.file;
    XmlElement system = presetTopology(c.preset);
    stripVendorLinks(system);
    applyVendorMatrix(system, matrix, path);
    Graph g = buildGraph(system, c.file);
    PathTable paths(g);
    EXPECT_EQ(paths.between(nodeNamed(g, c.a), nodeNamed(g, c.b)).pathClass, c.expected) << c.file;
  }
  EXPECT_THROW(parseVendorMatrix("GPU0 GPU1\nGPU0 X\n", "short.txt"), TopologyError);
}

TEST(TopologyRender, MetaxDotRendersBothMeshesAsSvg) {
  Graph g = buildGraph(presetTopology("metax-c500"), "metax");
  std::string dot = renderDot(g);
  int meshEdges = 0;
  for (size_t at = dot.find("metaxlink 64 GB/s"); at != std::string::npos; at = dot.find("metaxlink 64 GB/s", at + 1))
    ++meshEdges;
  EXPECT_EQ(meshEdges, 12);  // two full meshes of 4: 6 links each
  if (std::system("command -v dot > /dev/null") != 0) GTEST_SKIP() << "graphviz `dot` is not installed";
  const std::string stem = ::testing::TempDir() + "braid-" + std::to_string(getpid()) + "-metax";
  const std::string dotFile = stem + ".dot", svgFile = stem + ".svg";
  std::ofstream(dotFile) << dot;
  ASSERT_EQ(std::system(("dot -Tsvg " + dotFile + " -o " + svgFile).c_str()), 0);
  std::string svg = readTextFile(svgFile);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  for (int d = 0; d < 8; ++d) EXPECT_NE(svg.find(">GPU" + std::to_string(d) + "<"), std::string::npos) << d;
}

TEST(TopologyRender, JsonForScripts) {
  Graph g = buildGraph(presetTopology("dgx-a100"), "a100");
  nlohmann::json doc = nlohmann::json::parse(renderJson(g, PathTable(g)));
  EXPECT_EQ(doc["hosts"][0], "dgx-a100");
  EXPECT_EQ(doc["nearest_nics"]["GPU0"][0], "mlx5_0");
  bool found = false;
  for (const auto& p : doc["paths"])
    if (p["from"] == "GPU0" && p["to"] == "GPU1") found = p["class"] == "NV12" && p["bandwidth_GBps"] == 300.0;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace braid::topo
