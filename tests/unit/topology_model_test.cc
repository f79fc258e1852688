// The planner's model rules (algorithms/planner/effective_bandwidth.h) on small hand-made topologies: which
// transport each path gets, what each kind of link and NIC is worth, the Ampere ceiling, and NVLS.
#include <gtest/gtest.h>

#include <string>

#include "algorithms/planner/effective_bandwidth.h"
#include "algorithms/planner/topology_model.h"
#include "topology/graph.h"
#include "topology/xml_tree.h"

using namespace braid;
using namespace braid::planner;

namespace {

topo::Graph graphOf(const std::string& xml) { return topo::buildGraph(topo::parseXml(xml, "test.xml"), "test.xml"); }

std::string gpu(const std::string& bus, int dev, int sm, const std::string& links,
                const std::string& speed = "16.0 GT/s PCIe") {
  return "<pci busid=\"" + bus + "\" class=\"0x030200\" link_speed=\"" + speed + "\" link_width=\"16\"><gpu dev=\"" +
         std::to_string(dev) + "\" sm=\"" + std::to_string(sm) + "\" rank=\"" + std::to_string(dev) + "\">" + links +
         "</gpu></pci>";
}

std::string nic(const std::string& bus, int dev, int mbps, const std::string& speed = "16.0 GT/s PCIe") {
  return "<pci busid=\"" + bus + "\" class=\"0x020700\" link_speed=\"" + speed +
         "\" link_width=\"16\"><nic><net name=\"mlx5_" + std::to_string(dev) + "\" dev=\"" + std::to_string(dev) +
         "\" speed=\"" + std::to_string(mbps) + "\" port=\"1\"/></nic></pci>";
}

std::string nvlink(const std::string& target, int count, const std::string& tclass = "0x030200") {
  return "<nvlink target=\"" + target + "\" count=\"" + std::to_string(count) + "\" tclass=\"" + tclass + "\"/>";
}

// Two GPUs of compute capability `sm` joined by `links` NVLinks, one CPU.
std::string nvlinkPair(int sm, int links) {
  return "<system version=\"1\"><cpu numaid=\"0\" arch=\"x86_64\" vendor=\"AuthenticAMD\">" +
         gpu("0000:17:00.0", 0, sm, nvlink("0000:31:00.0", links)) +
         gpu("0000:31:00.0", 1, sm, nvlink("0000:17:00.0", links)) + "</cpu></system>";
}

// Eight GPUs whose `links` NVLinks each reach the NVSwitch, with NICs of `nicMbps`: the first `nics` GPUs share a
// PCIe switch with one each (GPUDirect RDMA's reach), or, with `nicsOnCpu`, the NICs hang off the CPU.
std::string nvswitchBox(int sm, int links, int nics, int nicMbps, bool nicsOnCpu = false) {
  std::string cpu = "<cpu numaid=\"0\" arch=\"x86_64\" vendor=\"GenuineIntel\">";
  for (int d = 0; d < 8; ++d) {
    char bus[16], nicBus[16], switchBus[16];
    std::snprintf(bus, sizeof bus, "0000:%02x:00.0", 0x10 + d);
    std::snprintf(nicBus, sizeof nicBus, "0000:%02x:00.0", 0x80 + d);
    std::snprintf(switchBus, sizeof switchBus, "0000:%02x:00.0", 0x40 + d);
    const std::string speed = sm >= 90 ? "32.0 GT/s PCIe" : "16.0 GT/s PCIe";  // Hopper boards are Gen5
    const std::string g = gpu(bus, d, sm, nvlink("0000:f0:00.0", links, "0x068000"), speed);
    if (d >= nics) cpu += g;
    else if (nicsOnCpu) cpu += g + nic(nicBus, d, nicMbps, speed);
    else
      cpu += "<pci busid=\"" + std::string(switchBus) + "\" class=\"0x060400\" link_speed=\"" + speed +
             "\" link_width=\"16\">" + g + nic(nicBus, d, nicMbps, speed) + "</pci>";
  }
  return "<system version=\"1\">" + cpu + "</cpu></system>";
}

}  // namespace

TEST(TopologyModel, NvlinkIsWorthNcclsPerLinkFigureOfItsGeneration) {
  // NCCL's topo.h: 20.6 GB/s per NVLink on Hopper, 20.0 on Ampere (of a 25 GB/s line rate).
  const ClusterModel hopper = clusterModel(graphOf(nvlinkPair(90, 4)), 1, NetworkShape::FatTree);
  EXPECT_NEAR(hopper.fabric.intra.bandwidthGBps, 4 * 20.6, 1e-9);
  EXPECT_EQ(hopper.intraTransport, "P2P over NV4");
  const ClusterModel ampere = clusterModel(graphOf(nvlinkPair(80, 4)), 1, NetworkShape::FatTree);
  EXPECT_NEAR(ampere.fabric.intra.bandwidthGBps, 4 * 20.0, 1e-9);
}

TEST(TopologyModel, AmpereStopsAtNcclsCeilingWhateverItsLinks) {
  const ClusterModel pair = clusterModel(graphOf(nvlinkPair(80, 12)), 1, NetworkShape::FatTree);
  EXPECT_DOUBLE_EQ(pair.fabric.intra.bandwidthGBps, 235.0);  // 12 x 20 = 240 over the cap
  const ClusterModel hopper = clusterModel(graphOf(nvlinkPair(90, 12)), 1, NetworkShape::FatTree);
  EXPECT_NEAR(hopper.fabric.intra.bandwidthGBps, 12 * 20.6, 1e-9);  // no cap on Hopper
}

TEST(TopologyModel, PathsThroughTheCpuGoThroughHostMemory) {
  // Two GPUs without NVLink on two sockets: the path crosses the CPU interconnect (NCCL: SHM), whose usable
  // figure bounds the ring; two under one PCIe switch talk peer to peer at what NCCL's rings reach over PCIe.
  const std::string twoSockets =
      "<system version=\"1\" sys_bw=\"22\">"
      "<cpu numaid=\"0\" arch=\"x86_64\" vendor=\"GenuineIntel\">" +
      gpu("0000:17:00.0", 0, 90, "", "32.0 GT/s PCIe") +
      "</cpu><cpu numaid=\"1\" arch=\"x86_64\" vendor=\"GenuineIntel\">" +
      gpu("0000:97:00.0", 1, 90, "", "32.0 GT/s PCIe") + "</cpu></system>";
  const ClusterModel sys = clusterModel(graphOf(twoSockets), 1, NetworkShape::FatTree);
  EXPECT_EQ(sys.intraTransport, "SHM over SYS");
  EXPECT_NEAR(sys.fabric.intra.bandwidthGBps, 22.0, 1e-9);

  const std::string oneSwitch =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"x86_64\" vendor=\"GenuineIntel\">"
      "<pci busid=\"0000:10:00.0\" class=\"0x060400\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">" +
      gpu("0000:11:00.0", 0, 86, "") + gpu("0000:12:00.0", 1, 86, "") + "</pci></cpu></system>";
  const ClusterModel pix = clusterModel(graphOf(oneSwitch), 1, NetworkShape::FatTree);
  EXPECT_EQ(pix.intraTransport, "P2P/PCIe over PIX");
  EXPECT_NEAR(pix.fabric.intra.bandwidthGBps, topo::pcieBandwidth("16.0 GT/s PCIe", "16") * 41 / 63, 1e-9);  // ~20.5
}

TEST(TopologyModel, GpuRingsOverPcieReachLessThanNcclsPcieFigure) {
  // NVIDIA GPUs: 41 of Gen5 x16's 63 GB/s (community runs of 8x RTX PRO 6000 under switches), not NCCL's 48.
  const std::string gen5Switch =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"x86_64\" vendor=\"AuthenticAMD\">"
      "<pci busid=\"0000:10:00.0\" class=\"0x060400\" link_speed=\"32.0 GT/s PCIe\" link_width=\"16\">" +
      gpu("0000:11:00.0", 0, 120, "", "32.0 GT/s PCIe") + gpu("0000:12:00.0", 1, 120, "", "32.0 GT/s PCIe") +
      "</pci></cpu></system>";
  EXPECT_NEAR(clusterModel(graphOf(gen5Switch), 1, NetworkShape::FatTree).fabric.intra.bandwidthGBps, 41.0, 0.02);
  // Other accelerators keep NCCL's PCIe figure, three quarters of the line rate (no collective figure to go by).
  const std::string pcieCards =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"aarch64\" vendor=\"Huawei\">"
      "<pci busid=\"0000:10:00.0\" class=\"0x060400\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">"
      "<pci busid=\"0000:11:00.0\" class=\"0x120000\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">"
      "<accel dev=\"0\" vendor=\"huawei\" model=\"Ascend 310P\"/></pci>"
      "<pci busid=\"0000:12:00.0\" class=\"0x120000\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">"
      "<accel dev=\"1\" vendor=\"huawei\" model=\"Ascend 310P\"/></pci></pci></cpu></system>";
  EXPECT_NEAR(clusterModel(graphOf(pcieCards), 1, NetworkShape::FatTree).fabric.intra.bandwidthGBps,
              topo::pcieBandwidth("16.0 GT/s PCIe", "16") * 0.76, 1e-9);
}

TEST(TopologyModel, NcclP2pLevelDecidesWhichHopsGoThroughHostMemory) {
  // Two PCIe switches on one CPU, two GPUs each: the ring crosses the CPU twice (PHB). NCCL's default (PXB) runs
  // those hops through host memory, at 30.3 of the 41 GB/s the same Gen5 links give peer to peer.
  const std::string sw = "class=\"0x060400\" link_speed=\"32.0 GT/s PCIe\" link_width=\"16\">";
  const std::string twoSwitches =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"x86_64\" vendor=\"GenuineIntel\">"
      "<pci busid=\"0000:10:00.0\" " +
      sw + gpu("0000:11:00.0", 0, 120, "", "32.0 GT/s PCIe") + gpu("0000:12:00.0", 1, 120, "", "32.0 GT/s PCIe") +
      "</pci><pci busid=\"0000:70:00.0\" " + sw + gpu("0000:71:00.0", 2, 120, "", "32.0 GT/s PCIe") +
      gpu("0000:72:00.0", 3, 120, "", "32.0 GT/s PCIe") + "</pci></cpu></system>";
  const topo::Graph graph = graphOf(twoSwitches);
  const ClusterModel shm = clusterModel(graph, 1, NetworkShape::FatTree);
  EXPECT_EQ(shm.p2pLevel, P2pLevel::Pxb);
  EXPECT_EQ(shm.intraTransport, "SHM over PHB");
  EXPECT_NEAR(shm.fabric.intra.bandwidthGBps, 30.3, 0.02);
  const ClusterModel p2p = clusterModel(graph, 1, NetworkShape::FatTree, 0, kDefaultMaxChannels, P2pLevel::Sys);
  EXPECT_EQ(p2p.intraTransport.rfind("P2P/PCIe over ", 0), 0u);
  EXPECT_NEAR(p2p.fabric.intra.bandwidthGBps, 41.0, 0.02);
  // NCCL_P2P_LEVEL=LOC: no peer-to-peer at all, even under one switch.
  const ClusterModel loc = clusterModel(graph, 1, NetworkShape::FatTree, 0, kDefaultMaxChannels, P2pLevel::Loc);
  EXPECT_EQ(loc.intraTransport.rfind("SHM over ", 0), 0u);
}

TEST(TopologyModel, P2pLevelsByNcclsNamesAndDefaults) {
  P2pLevel level = P2pLevel::Loc;
  EXPECT_TRUE(parseP2pLevel("sys", level));
  EXPECT_EQ(level, P2pLevel::Sys);
  EXPECT_STREQ(p2pLevelName(level), "SYS");
  EXPECT_FALSE(parseP2pLevel("NODE", level));  // nvidia-smi's word, not NCCL's
  EXPECT_FALSE(parseP2pLevel("", level));
  topo::Path path;
  path.pathClass = "PHB";
  EXPECT_EQ(transportOf(path), Transport::HostMemory);
  EXPECT_EQ(transportOf(path, P2pLevel::Phb), Transport::PciePeer);
  path.pathClass = "NV12";
  EXPECT_EQ(transportOf(path, P2pLevel::Nvl), Transport::VendorLink);
  EXPECT_EQ(transportOf(path, P2pLevel::Loc), Transport::HostMemory);  // NCCL_P2P_LEVEL=LOC: no P2P at all
  // At most two GPUs on an AMD CPU: NCCL allows P2P across the CPU (ncclTopoCheckP2p).
  EXPECT_EQ(defaultP2pLevel(graphOf(nvlinkPair(90, 4)), 2), P2pLevel::Sys);  // nvlinkPair's CPU is AMD
  EXPECT_EQ(defaultP2pLevel(graphOf(nvlinkPair(90, 4)), 4), P2pLevel::Pxb);
  EXPECT_EQ(defaultP2pLevel(graphOf(nvswitchBox(90, 18, 0, 0)), 2), P2pLevel::Pxb);  // Intel
  // An AMD host without accelerators keeps PXB: the two-GPU rule is NCCL's, for its GPUs.
  const std::string amdHost =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"x86_64\" vendor=\"AuthenticAMD\"/>"
      "<cpu numaid=\"1\" arch=\"x86_64\" vendor=\"AuthenticAMD\"/></system>";
  EXPECT_EQ(clusterModel(graphOf(amdHost), 1, NetworkShape::FatTree).p2pLevel, P2pLevel::Pxb);
}

TEST(TopologyModel, NicsAreWorthWhatMaintainersMeasurePerSpeed) {
  EXPECT_DOUBLE_EQ(effectiveNicGBps(12.5), 12.0);  // 100 Gb/s: NCCL's NET_BW
  EXPECT_DOUBLE_EQ(effectiveNicGBps(25.0), 24.0);  // HDR
  EXPECT_DOUBLE_EQ(effectiveNicGBps(50.0), 47.0);  // NDR
  EXPECT_DOUBLE_EQ(effectiveNicGBps(100.0), 94.0);
  // A node's NICs add up; a ring across nodes runs at the smaller of the node's links and its NICs.
  const ClusterModel fourHdr = clusterModel(graphOf(nvswitchBox(80, 12, 4, 200000)), 3, NetworkShape::FatTree);
  EXPECT_NEAR(fourHdr.fabric.inter.bandwidthGBps, 96.0, 0.3);  // in Gen4 slots: 23.9 each
  const ClusterModel eightNdr = clusterModel(graphOf(nvswitchBox(90, 18, 8, 400000)), 2, NetworkShape::FatTree);
  EXPECT_DOUBLE_EQ(eightNdr.fabric.inter.bandwidthGBps, 376.0);
}

TEST(TopologyModel, NicsWithoutGpuDirectAndOneGpuPerNode) {
  // NICs on the CPU, no GPU under their switch: NCCL stages through host memory, 16 GB/s for HDR (sjeaugey).
  const ClusterModel onCpu = clusterModel(graphOf(nvswitchBox(80, 12, 4, 200000, true)), 2, NetworkShape::FatTree);
  EXPECT_NEAR(onCpu.fabric.inter.bandwidthGBps, 4 * 16.0, 0.3);
  EXPECT_FALSE(onCpu.nccl.netWithGdr);  // and NCCL leaves LL128 off across these nodes
  EXPECT_TRUE(clusterModel(graphOf(nvswitchBox(80, 12, 4, 200000)), 2, NetworkShape::FatTree).nccl.netWithGdr);
  // An NDR port in a Gen4 x16 slot carries what the slot does.
  const ClusterModel ndrInGen4 = clusterModel(graphOf(nvswitchBox(80, 12, 4, 400000)), 2, NetworkShape::FatTree);
  EXPECT_NEAR(ndrInGen4.fabric.inter.bandwidthGBps, 4 * topo::pcieBandwidth("16.0 GT/s PCIe", "16") * 0.76, 1e-9);
  // One GPU per node feeds all the NICs through its own PCIe link (Gen4 x16 at NCCL's 0.76: ~24 GB/s).
  const ClusterModel oneGpu = clusterModel(graphOf(nvswitchBox(80, 12, 4, 200000)), 2, NetworkShape::FatTree, 1);
  EXPECT_NEAR(oneGpu.fabric.inter.bandwidthGBps, topo::pcieBandwidth("16.0 GT/s PCIe", "16") * 0.76, 1e-9);
  // Grace Hopper: the NIC is on the CPU, but the GPU reaches the CPU over NVLink-C2C, and NCCL uses GPUDirect.
  const std::string grace =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"aarch64\" vendor=\"NVIDIA\" model=\"Grace\">" +
      gpu("0009:01:00.0", 0, 90, "", "32.0 GT/s PCIe") + nic("0009:02:00.0", 0, 200000, "32.0 GT/s PCIe") +
      "</cpu></system>";
  EXPECT_NEAR(clusterModel(graphOf(grace), 2, NetworkShape::FatTree).fabric.inter.bandwidthGBps, 24.0, 1e-9);
}

TEST(TopologyModel, AFullMeshMovesOverEveryLinkAtOnce) {
  // Intel Gaudi 3 (HLS-3): 3 x 200 GbE scale-up ports to each of 7 peers, at the NIC rule's 94% of line rate.
  const std::string file = std::string(BRAID_TEST_DATA_DIR) + "/topology/hls3_gaudi3.xml";
  const ClusterModel hls3 = clusterModel(topo::buildGraph(topo::loadXmlFile(file), file), 1, NetworkShape::FatTree);
  EXPECT_NEAR(hls3.meshBusGBps, 7 * 75 * 0.94, 1e-9);
  EXPECT_NEAR(hls3.fabric.intra.bandwidthGBps, 75 * 0.94, 1e-9);  // a ring uses one link per hop
  EXPECT_EQ(hls3.intraTransport, "P2P over ROCE");
  for (const std::string& a : hls3.assumptions) EXPECT_EQ(a.find("roce"), std::string::npos) << a;
  // Links to an NVSwitch are not a mesh between the GPUs (NVLS and the ring apply there).
  EXPECT_EQ(clusterModel(graphOf(nvswitchBox(90, 18, 0, 0)), 1, NetworkShape::FatTree).meshBusGBps, 0.0);
}

TEST(TopologyModel, NvlsIsHoppersAndNeedsAnNvswitch) {
  const topo::Graph h100 = graphOf(nvswitchBox(90, 18, 0, 0));
  const ClusterModel box = clusterModel(h100, 1, NetworkShape::FatTree);
  EXPECT_NEAR(box.nvlsBusGBps, 480.0, 1e-9);  // 18 x 25 GB/s line rate, as sjeaugey's ~480
  EXPECT_NEAR(box.fabric.intra.bandwidthGBps, 18 * 20.6, 1e-9);
  EXPECT_EQ(clusterModel(graphOf(nvswitchBox(90, 8, 0, 0)), 1, NetworkShape::FatTree).nvlsBusGBps, 480.0 * 8 / 18);
  EXPECT_EQ(clusterModel(graphOf(nvswitchBox(80, 12, 0, 0)), 1, NetworkShape::FatTree).nvlsBusGBps, 0.0);  // Ampere
  EXPECT_EQ(clusterModel(graphOf(nvlinkPair(90, 12)), 1, NetworkShape::FatTree).nvlsBusGBps, 0.0);         // no switch
}

TEST(TopologyModel, NcclsTreeCarriesTheBufferOnceOverTwoNodesAndTwiceOverMore) {
  EXPECT_DOUBLE_EQ(ncclTreeAlgGBps(2, 300, 96), 96);  // every node sends and receives it once
  EXPECT_DOUBLE_EQ(ncclTreeAlgGBps(4, 300, 96), 48);  // inner in one tree, a leaf in the other: twice
  EXPECT_DOUBLE_EQ(ncclTreeAlgGBps(2, 80, 96), 80);   // the chain through the node bounds it
  const ClusterModel one = clusterModel(graphOf(nvswitchBox(90, 18, 8, 400000)), 1, NetworkShape::FatTree);
  EXPECT_EQ(one.ncclTreeBusGBps, 0.0);  // no tree across one node
  const ClusterModel two = clusterModel(graphOf(nvswitchBox(90, 18, 8, 400000)), 2, NetworkShape::FatTree);
  EXPECT_NEAR(two.ncclTreeBusGBps, 370.8 * 2 * 15 / 16, 1e-9);  // the NVLinks (370.8) below the NICs (376)
}

TEST(TopologyModel, OtherVendorsLinksAreAssumedAndSaidSo) {
  const std::string hccs =
      "<system version=\"1\"><cpu numaid=\"0\" arch=\"aarch64\" vendor=\"Huawei\">"
      "<pci busid=\"0000:01:00.0\" class=\"0x120000\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">"
      "<accel dev=\"0\" vendor=\"huawei\" model=\"Ascend 910B\"><link target=\"0000:02:00.0\" type=\"hccs\" bw=\"56\"/>"
      "</accel></pci>"
      "<pci busid=\"0000:02:00.0\" class=\"0x120000\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">"
      "<accel dev=\"1\" vendor=\"huawei\" model=\"Ascend 910B\"><link target=\"0000:01:00.0\" type=\"hccs\" bw=\"56\"/>"
      "</accel></pci></cpu></system>";
  const ClusterModel model = clusterModel(graphOf(hccs), 1, NetworkShape::FatTree);
  EXPECT_NEAR(model.fabric.intra.bandwidthGBps, 56 * 0.8, 1e-9);
  int said = 0;  // once, though both devices' links ask
  for (const std::string& a : model.assumptions) said += a.find("hccs links: 80%") != std::string::npos;
  EXPECT_EQ(said, 1);
}
