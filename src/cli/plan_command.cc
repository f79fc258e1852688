#include "cli/plan_command.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "algorithms/planner/planner.h"
#include "algorithms/planner/topology_model.h"
#include "base/byte_size.h"
#include "cli/plan_plot.h"
#include "runtime/algorithm_selection.h"
#include "topology/discovery.h"
#include "topology/presets.h"

namespace braid::cli {
namespace {

using planner::Prediction;

// "8:1G" (factor 2), "8:1G:4" (factor 4), or one size.
std::vector<size_t> sizeList(const std::string& bytes, const std::string& range) {
  if (!bytes.empty()) return {parseByteSize(bytes)};
  std::vector<std::string> parts;
  std::stringstream in(range);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  if (parts.size() < 2 || parts.size() > 3) throw std::invalid_argument("--sizes wants MIN:MAX[:FACTOR], got " + range);
  const size_t lo = std::max<size_t>(1, parseByteSize(parts[0])), hi = parseByteSize(parts[1]);
  const size_t factor = parts.size() == 3 ? std::stoul(parts[2]) : 2;
  if (factor < 2 || hi < lo) throw std::invalid_argument("--sizes " + range + " describes no sizes");
  std::vector<size_t> sizes;
  for (size_t s = lo; s <= hi; s *= factor) {
    sizes.push_back(s);
    if (s > hi / factor) break;
  }
  return sizes;
}

nlohmann::json predictionJson(const Prediction& p) {
  nlohmann::json out = {{"algorithm", algorithmName(p.algorithm)},
                        {"protocol", protocolName(p.protocol)},
                        {"time_us", p.timeUs},
                        {"algbw_GBps", p.algbwGBps},
                        {"busbw_GBps", p.busbwGBps}};
  if (p.foldedRails) out["folded_rails"] = true;
  return out;
}

nlohmann::json ncclEstimateJson(const planner::NcclEstimate& e) {
  return {{"algorithm", planner::ncclAlgorithmName(e.algorithm)},
          {"protocol", planner::ncclProtocolName(e.protocol)},
          {"nccl_time_us", e.ncclTimeUs},
          {"time_us", e.timeUs},
          {"busbw_GBps", e.busbwGBps}};
}

// NCCL's pick (the first of `estimates`, which is not empty) with every estimate it weighed.
nlohmann::json ncclJson(const std::vector<planner::NcclEstimate>& estimates) {
  nlohmann::json out = ncclEstimateJson(estimates.front());
  out["estimates"] = nlohmann::json::array();
  for (const planner::NcclEstimate& e : estimates) out["estimates"].push_back(ncclEstimateJson(e));
  return out;
}

// Adjacent sizes with the same choice become one rule; the ranges cover every size.
std::vector<planner::TuningRule> tuningRules(CollectiveKind kind, int nranks, const std::vector<size_t>& sizes,
                                             const std::vector<Prediction>& chosen) {
  std::vector<planner::TuningRule> rules;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const bool last = i + 1 == sizes.size();
    const size_t upTo = last ? static_cast<size_t>(-1) : sizes[i];
    if (!rules.empty() && rules.back().algorithm == chosen[i].algorithm &&
        rules.back().protocol == chosen[i].protocol) {
      rules.back().maxBytes = upTo;
    } else {
      const size_t from = rules.empty() ? 0 : rules.back().maxBytes + 1;
      rules.push_back({kind, nranks, from, upTo, chosen[i].algorithm, chosen[i].protocol});
    }
  }
  return rules;
}

}  // namespace

void addPlanCommand(CLI::App& app, PlanOptions& o) {
  CLI::App* plan = app.add_subcommand("plan", "predict and choose collective algorithms for a cluster");
  auto* file = plan->add_option("--file", o.file, "topology XML of one node");
  auto* host = plan->add_option("--host-ranks", o.hostRanks,
                                "what the library itself predicts for N ranks on this host (shared memory)")
                   ->check(CLI::Range(1, 4096))
                   ->excludes(file);
  plan->add_option("--preset", o.preset, "a built-in node (braid topo --list-presets)")->excludes(file)->excludes(host);
  plan->add_option("--nodes", o.nodes, "how many such nodes")->check(CLI::Range(1, 1 << 24));
  plan->add_option("--ranks-per-node", o.ranksPerNode, "ranks per node (default: its accelerators, else CPUs)")
      ->check(CLI::Range(1, 1 << 16));
  plan->add_option("--channels", o.maxChannels, "most channels an accelerator rank runs (NCCL_MAX_NCHANNELS' role)")
      ->check(CLI::Range(1, 64))
      ->excludes(host);
  plan->add_option("--p2p-level", o.p2pLevel,
                   "farthest path NCCL copies peer to peer over within a node (NCCL_P2P_LEVEL: " +
                       planner::p2pLevelChoices() + "; default NCCL's: PXB, SYS for two GPUs on an AMD CPU)")
      ->excludes(host);
  plan->add_option("--fabric", o.fabric, "network between nodes")->check(CLI::IsMember({"fat-tree", "rail"}));
  plan->add_option("--coll", o.collective,
                   "allreduce|allgather|reducescatter|broadcast|reduce|alltoall|gather|scatter");
  auto* bytes = plan->add_option("--bytes", o.bytes, "one message size (8, 64K, 1M, 1G)");
  plan->add_option("--sizes", o.sizes, "MIN:MAX[:FACTOR] (default 8:1G, factor 2)")->excludes(bytes);
  plan->add_option("--algo", o.algorithms, "only these algorithms (BRAID_ALGO syntax: ring,tree or ^mesh)");
  plan->add_flag("--json", o.json, "machine-readable output");
  plan->add_option("--tune-file", o.tuneFile, "write the choices as a tuning file (BRAID_TUNE_FILE)");
  plan->add_option("--plot", o.plot, "draw predicted busbw against size per algorithm (SVG)");
}

int runPlan(const PlanOptions& o) {
  CollectiveKind kind;
  if (!planner::parseCollectiveKind(o.collective, &kind) || kind == CollectiveKind::AlltoAllv)
    throw std::invalid_argument("unknown collective '" + o.collective + "'");
  planner::ClusterModel cluster;
  std::string source;
  if (o.hostRanks > 0) {
    cluster.fabric = hostFabricModel(o.hostRanks, o.hostRanks, usableCores());
    source = "this host (the library's model)";
  } else {
    const topo::XmlElement root = !o.file.empty()     ? topo::loadXmlFile(o.file)
                                  : !o.preset.empty() ? topo::presetTopology(o.preset)
                                                      : topo::discoverHost("/sys");
    source = !o.file.empty() ? o.file : !o.preset.empty() ? o.preset : "this host";
    std::optional<planner::P2pLevel> p2pLevel;
    if (!o.p2pLevel.empty() && !planner::parseP2pLevel(o.p2pLevel, p2pLevel.emplace()))
      throw std::invalid_argument("--p2p-level '" + o.p2pLevel + "': expected " + planner::p2pLevelChoices());
    cluster = planner::clusterModel(topo::buildGraph(root, source), o.nodes,
                                    o.fabric == "rail" ? planner::NetworkShape::Rail : planner::NetworkShape::FatTree,
                                    o.ranksPerNode, o.maxChannels, p2pLevel);
  }
  const planner::FabricModel& m = cluster.fabric;
  const planner::AlgorithmFilter filter =
      o.algorithms.empty() ? planner::AlgorithmFilter() : planner::AlgorithmFilter::parse(o.algorithms);
  const planner::Planner plan(m, filter, {});
  const std::vector<size_t> sizes = sizeList(o.bytes, o.sizes);

  std::vector<std::vector<Prediction>> perSize;
  for (size_t s : sizes) {
    perSize.push_back(plan.candidates(kind, s));
    if (perSize.back().empty()) throw std::invalid_argument("--algo leaves no algorithm for " + o.collective);
  }
  std::vector<Prediction> chosen;
  for (const auto& c : perSize) chosen.push_back(c.front());
  // What NCCL's own tuning would run at each size (AllReduce on NVIDIA GPUs): a reference, not a plan.
  std::vector<std::vector<planner::NcclEstimate>> nccl;
  for (size_t s : sizes)
    nccl.push_back(kind == CollectiveKind::AllReduce ? planner::ncclAllReduceEstimates(cluster.nccl, s)
                                                     : std::vector<planner::NcclEstimate>{});

  if (o.json) {
    nlohmann::json out = {{"topology", source},         {"nodes", m.nodes()},
                          {"ranks", m.nranks},          {"ranks_per_node", m.ranksPerNode},
                          {"collective", o.collective}, {"fabric", o.fabric}};
    out["model"] = {{"intra_GBps", m.intra.bandwidthGBps},
                    {"intra_latency_us", m.intra.latencyUs},
                    {"intra_all_links_GBps", m.intraEgressGBps},
                    {"inter_GBps", m.inter.bandwidthGBps},
                    {"inter_latency_us", m.inter.latencyUs},
                    {"channels", m.channels},
                    {"channel_GBps", m.channelGBps},
                    {"intra_ring", cluster.ring},
                    {"intra_transport", cluster.intraTransport},
                    {"p2p_level", planner::p2pLevelName(cluster.p2pLevel)},
                    {"assumptions", cluster.assumptions}};
    // What NCCL's NVLink SHARP AllReduce reaches on this node: a reference, not a plan (Braid runs no NVLS).
    if (cluster.nvlsBusGBps > 0 && m.nodes() == 1) out["model"]["nccl_nvls_busbw_GBps"] = cluster.nvlsBusGBps;
    if (cluster.ncclTreeBusGBps > 0) out["model"]["nccl_tree_busbw_GBps"] = cluster.ncclTreeBusGBps;
    if (cluster.meshBusGBps > 0 && m.nodes() == 1) out["model"]["mesh_busbw_GBps"] = cluster.meshBusGBps;
    nlohmann::json plans = nlohmann::json::array();
    for (size_t i = 0; i < sizes.size(); ++i) {
      nlohmann::json p = predictionJson(chosen[i]);
      p["bytes"] = sizes[i];
      if (!nccl[i].empty()) p["nccl"] = ncclJson(nccl[i]);
      p["candidates"] = nlohmann::json::array();
      for (const Prediction& c : perSize[i]) p["candidates"].push_back(predictionJson(c));
      plans.push_back(p);
    }
    if (sizes.size() == 1) out.update(plans[0]);
    else out["plans"] = plans;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "# " << source << ": " << m.nodes() << " node(s) x " << m.ranksPerNode << " ranks = " << m.nranks
              << " ranks, " << o.fabric << "; " << o.collective << "\n"
              << std::fixed << std::setprecision(1) << "# within a node: " << m.intra.bandwidthGBps << " GB/s, "
              << m.intra.latencyUs << " us per step (all links " << m.intraEgressGBps
              << " GB/s); between nodes: " << m.inter.bandwidthGBps << " GB/s per node, " << m.inter.latencyUs
              << " us\n";
    if (m.channelGBps > 0)
      std::cout << "# channels: " << m.channels << " per rank (at most " << o.maxChannels << "), " << m.channelGBps
                << " GB/s each\n";
    if (cluster.ring.size() > 2) {
      std::cout << "# ring within a node:";
      for (const std::string& device : cluster.ring) std::cout << " " << device;
      std::cout << "\n";
    }
    if (!cluster.intraTransport.empty())
      std::cout << "# slowest ring hop: " << cluster.intraTransport
                << " (NCCL_P2P_LEVEL=" << planner::p2pLevelName(cluster.p2pLevel) << ")\n";
    if (cluster.nvlsBusGBps > 0 && m.nodes() == 1)
      std::cout << "# NCCL's NVLS AllReduce here (not run by Braid): " << cluster.nvlsBusGBps << " GB/s busbw\n";
    if (cluster.ncclTreeBusGBps > 0)
      std::cout << "# NCCL's tree AllReduce across the nodes: " << cluster.ncclTreeBusGBps << " GB/s busbw\n";
    if (cluster.meshBusGBps > 0 && m.nodes() == 1)
      std::cout << "# a full-mesh AllReduce over every link at once (vendor libraries' mesh): " << cluster.meshBusGBps
                << " GB/s busbw\n";
    for (const std::string& a : cluster.assumptions) std::cout << "# assumed: " << a << "\n";
    std::cout << "#\n#       size  algorithm      time(us)  algbw(GB/s)  busbw(GB/s)\n";
    for (size_t i = 0; i < sizes.size(); ++i) {
      for (size_t k = 0; k < perSize[i].size(); ++k) {
        const Prediction& p = perSize[i][k];
        std::cout << std::setw(12) << (k == 0 ? formatByteSize(sizes[i]) : "") << (k == 0 ? " *" : "  ") << std::left
                  << std::setw(12) << planName(p) << std::right << std::setprecision(2) << std::setw(11) << p.timeUs
                  << std::setw(13) << p.algbwGBps << std::setw(13) << p.busbwGBps << "\n";
      }
      if (!nccl[i].empty()) {
        const planner::NcclEstimate& e = nccl[i].front();
        std::cout << "#            NCCL's pick: " << planner::ncclAlgorithmName(e.algorithm) << "/"
                  << planner::ncclProtocolName(e.protocol) << ", " << e.timeUs << " us, " << e.busbwGBps
                  << " GB/s busbw";
        if (e.timeUs > e.ncclTimeUs) std::cout << " (NCCL's own estimate: " << e.ncclTimeUs << " us)";
        std::cout << "\n";
      }
    }
    std::cout << "# * = chosen\n";
    if (!nccl.front().empty())
      std::cout << "# NCCL's pick: what NCCL's own tuning model runs at that size (src/graph/tuning.cc) and how long "
                   "that run takes; Braid runs its own choice\n";
  }
  if (!o.tuneFile.empty()) {
    std::ofstream out(o.tuneFile);
    if (!out) throw std::invalid_argument("cannot write " + o.tuneFile);
    writeTuningRules(out, tuningRules(kind, m.nranks, sizes, chosen),
                     "braid plan for " + source + ", " + std::to_string(m.nodes()) + " node(s), " + o.collective);
  }
  if (!o.plot.empty()) {
    std::vector<PlotSeries> series;
    for (const Prediction& p : perSize.front()) series.push_back({planName(p), {}});
    for (auto& s : series)
      for (const auto& candidates : perSize)
        for (const Prediction& p : candidates)
          if (planName(p) == s.name) s.busbw.push_back(p.busbwGBps);
    std::ofstream out(o.plot);
    if (!out) throw std::invalid_argument("cannot write " + o.plot);
    out << plotBusBandwidth(o.collective + " on " + source + ", " + std::to_string(m.nranks) + " ranks", sizes, series);
  }
  return 0;
}

}  // namespace braid::cli
