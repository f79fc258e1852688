#include "cli/doctor_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <vector>

#include "algorithms/planner/algorithm_filter.h"
#include "algorithms/planner/effective_bandwidth.h"
#include "algorithms/planner/planner.h"
#include "algorithms/planner/topology_model.h"
#include "base/byte_size.h"
#include "cli/doctor_checks.h"
#include "cli/plan_plot.h"
#include "runtime/algorithm_selection.h"
#include "topology/graph.h"
#include "topology/xml_tree.h"

extern char** environ;

namespace braid::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// collperf next to this braid (build/perf/collperf, or the same folder once installed), else on PATH.
std::string findCollperf() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const fs::path& p : {self / "perf" / "collperf", self / "collperf"})
    if (fs::exists(p, ec)) return p.string();
  return "collperf";
}

// Runs collperf with its probes on this host; its JSON and the library's topology land in `dir`.
void runSweep(const DoctorOptions& o, const std::string& dir, std::string& sweep, std::string& topology) {
  sweep = dir + "/sweep.json";
  topology = dir + "/topology.xml";
  const std::string collperf = o.collperf.empty() ? findCollperf() : o.collperf;
  std::vector<std::string> args = {
      collperf, o.collective, "-b",     o.minBytes, "-e", o.maxBytes, "-f",   "2",
      "-n",     "20",         "-w",     "5",        "-c", "0",        "--np", std::to_string(o.localRanks),
      "--json", sweep,        "--probe"};
  std::vector<std::string> env = {"BRAID_TOPO_DUMP_FILE=" + topology};
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("BRAID_TOPO_DUMP_FILE=", 0) != 0 && std::string(*e).rfind("NCCL_TOPO_DUMP_FILE=", 0) != 0)
      env.push_back(*e);
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  for (std::string& e : env) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  std::cerr << "# running:";
  for (const std::string& a : args) std::cerr << " " << a;
  std::cerr << "\n";
  // collperf's own table goes to a file beside its JSON; its errors to ours.
  const std::string table = dir + "/collperf.txt";
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, table.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  const int spawned = posix_spawnp(&pid, collperf.c_str(), &files, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  if (spawned != 0) throw std::runtime_error("cannot run " + collperf + " (give its path with --collperf)");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(collperf + " failed (its table: " + table + ")");
}

json readJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not collperf's JSON: " + e.what());
  }
}

// What the library saw should deliver: the planner's cluster model where the topology has accelerators; for
// CPU ranks the library's own host model (shared memory, TCP), with the network at what the topology's NICs
// are worth when it has them.
planner::FabricModel predictionModel(const topo::Graph& g, int nranks, int hosts, int ranksPerHost, int cores) {
  if (!g.nodesOn(0, topo::NodeKind::Accelerator).empty())
    return planner::clusterModel(g, hosts, planner::NetworkShape::FatTree, ranksPerHost).fabric;
  planner::FabricModel m = hostFabricModel(nranks, ranksPerHost, cores);
  double slowestHost = 0;
  for (int h = 0; h < hosts && h < static_cast<int>(g.hosts.size()); ++h) {
    const double nics = planner::hostNicsGBps(g, h);
    if (nics <= 0) return m;  // a host without NICs in the topology: keep the host model's TCP figure
    slowestHost = h == 0 ? nics : std::min(slowestHost, nics);
  }
  if (hosts > 1 && slowestHost > 0) m.inter.bandwidthGBps = slowestHost;
  return m;
}

struct SizeRow {
  size_t bytes;
  double measured, predicted;
  bool shortfall;
};

}  // namespace

void addDoctorCommand(CLI::App& app, DoctorOptions& o) {
  CLI::App* doctor = app.add_subcommand("doctor",
                                        "measure a collective, compare with what the topology should "
                                        "deliver, and name the likely causes of a shortfall");
  auto* sweep = doctor->add_option("--sweep", o.sweep, "collperf --json FILE --probe output of a run made elsewhere");
  auto* topology = doctor->add_option("--topology", o.topology, "the BRAID_TOPO_DUMP_FILE of that run");
  auto* np = doctor->add_option("--np", o.localRanks, "run collperf with this many ranks on this host")
                 ->check(CLI::Range(2, 1024))
                 ->excludes(sweep)
                 ->excludes(topology);
  sweep->needs(topology);
  topology->needs(sweep);
  doctor->add_option("--collperf", o.collperf, "the collperf to run (default: next to braid, else on PATH)")->needs(np);
  doctor->add_option("--coll", o.collective, "the collective to run (allreduce, allgather, ...)")->needs(np);
  doctor->add_option("-b,--minbytes", o.minBytes, "smallest size to run")->needs(np);
  doctor->add_option("-e,--maxbytes", o.maxBytes, "largest size to run")->needs(np);
  doctor->add_option("--work-dir", o.workDir, "where the run's JSON and topology go (default: a new folder in /tmp)")
      ->needs(np);
  doctor->add_option("--margin", o.margin, "a size falls short when measured < (1 - margin) x predicted")
      ->check(CLI::Range(0.0, 1.0));
  doctor->add_flag("--json", o.json, "machine-readable output");
  doctor->add_option("--plot", o.plot, "draw measured and predicted busbw against size (SVG)");
}

int runDoctor(const DoctorOptions& o) {
  std::string sweepFile = o.sweep, topologyFile = o.topology;
  if (o.localRanks > 0) {
    std::string dir = o.workDir;
    if (dir.empty()) {
      char pattern[] = "/tmp/braid-doctor-XXXXXX";
      if (!mkdtemp(pattern)) throw std::runtime_error("cannot make a folder in /tmp");
      dir = pattern;
    }
    fs::create_directories(dir);
    runSweep(o, dir, sweepFile, topologyFile);
  } else if (sweepFile.empty()) {
    throw std::invalid_argument("give --np N (run here) or --sweep FILE --topology FILE (read a run)");
  }
  const json sweep = readJson(sweepFile);
  // A file that parses but lacks what collperf writes (a key, a type) is named with what it lacks.
  try {
    const topo::Graph graph = topo::buildGraph(topo::loadXmlFile(topologyFile), topologyFile);

    const std::string collective = sweep.value("collective", "");
    CollectiveKind kind;
    if (!planner::parseCollectiveKind(collective, &kind) || kind == CollectiveKind::AlltoAllv)
      throw std::invalid_argument(sweepFile +
                                  ": the doctor predicts allreduce, allgather, reducescatter, broadcast, "
                                  "reduce, alltoall, gather and scatter, not '" +
                                  collective + "'");
    const int nranks = sweep.at("nranks");
    const json ranks = sweep.value("ranks", json::array());
    // Ranks per host as the library grouped them; cores: all CPUs the ranks on host 0's machine may use.
    int hosts = static_cast<int>(graph.hosts.size()), cores = usableCores();
    std::vector<int> perHost;
    std::set<int> cpus;
    for (const json& r : ranks) {
      const int h = r.at("host");
      if (h >= static_cast<int>(perHost.size())) perHost.resize(h + 1);
      ++perHost[h];
      if (r.at("boot_id") == ranks.front().at("boot_id"))
        for (int c : r.at("placement").at("cpus")) cpus.insert(c);
    }
    if (!cpus.empty()) cores = static_cast<int>(cpus.size());
    if (!perHost.empty()) hosts = static_cast<int>(perHost.size());
    const int ranksPerHost =
        perHost.empty() ? (nranks + hosts - 1) / hosts : *std::max_element(perHost.begin(), perHost.end());
    const planner::FabricModel model = predictionModel(graph, nranks, hosts, ranksPerHost, std::max(1, cores));
    const planner::Planner plan(model, planner::AlgorithmFilter(), {});

    std::vector<SizeRow> rows;
    for (const json& row : sweep.at("results")) {
      const size_t bytes = row.at("size");
      if (std::any_of(rows.begin(), rows.end(), [&](const SizeRow& r) { return r.bytes == bytes; }))
        continue;  // another type or op of a size already taken (collperf sweeps the sizes per type and op)
      const double measured = row.at("out_of_place").at("busbw_GBps");
      const double predicted = plan.candidates(kind, std::max<size_t>(bytes, 1)).front().busbwGBps;
      rows.push_back({bytes, measured, predicted, measured < (1 - o.margin) * predicted});
    }
    const std::vector<Finding> findings = checkCauses(sweep, graph);
    const long shortSizes = std::count_if(rows.begin(), rows.end(), [](const SizeRow& r) { return r.shortfall; });

    if (o.json) {
      json out = {{"collective", collective}, {"ranks", nranks},    {"hosts", hosts},
                  {"margin", o.margin},       {"sweep", sweepFile}, {"topology", topologyFile}};
      out["model"] = {{"intra_GBps", model.intra.bandwidthGBps}, {"inter_GBps", model.inter.bandwidthGBps}};
      out["sizes"] = json::array();
      for (const SizeRow& r : rows)
        out["sizes"].push_back({{"bytes", r.bytes},
                                {"measured_busbw_GBps", r.measured},
                                {"predicted_busbw_GBps", r.predicted},
                                {"short", r.shortfall}});
      out["findings"] = json::array();
      for (const Finding& f : findings)
        out["findings"].push_back({{"cause", f.cause}, {"detail", f.detail}, {"severity", f.severity}});
      if (!sweep.contains("ranks")) out["note"] = "no probes in the sweep (collperf --probe): causes not checked";
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << "# braid doctor: " << collective << ", " << nranks << " ranks on " << hosts << " host(s)\n"
                << "# sweep " << sweepFile << ", topology " << topologyFile << "\n"
                << std::fixed << std::setprecision(3) << "# model: within a host " << model.intra.bandwidthGBps
                << " GB/s, between hosts " << model.inter.bandwidthGBps << " GB/s per host\n"
                << "#\n#        size  measured(GB/s)  predicted(GB/s)  measured/predicted\n";
      for (const SizeRow& r : rows)
        std::cout << std::setw(13) << formatByteSize(r.bytes) << std::setw(16) << r.measured << std::setw(17)
                  << r.predicted << std::setw(20) << std::setprecision(2)
                  << (r.predicted > 0 ? r.measured / r.predicted : 0) << std::setprecision(3)
                  << (r.shortfall ? "  short" : "") << "\n";
      std::cout << "# " << shortSizes << " of " << rows.size() << " sizes short of the prediction by more than "
                << std::setprecision(0) << 100 * o.margin << "%\n";
      if (!sweep.contains("ranks")) {
        std::cout << "# no probes in the sweep (run collperf with --probe): causes not checked\n";
      } else if (findings.empty()) {
        std::cout << "# no cause found (checked: slow link, slow rank, sockets within a host, shared cores, /dev/shm, "
                     "interface, NUMA)\n";
      } else {
        std::cout << "# likely causes, most likely first:\n";
        for (const Finding& f : findings) std::cout << "#   " << f.cause << ": " << f.detail << "\n";
      }
    }
    if (!o.plot.empty()) {
      std::vector<size_t> sizes;
      PlotSeries measured{"measured", {}}, predicted{"predicted", {}};
      for (const SizeRow& r : rows) {
        sizes.push_back(r.bytes);
        measured.busbw.push_back(r.measured);
        predicted.busbw.push_back(r.predicted);
      }
      std::ofstream out(o.plot);
      if (!out) throw std::invalid_argument("cannot write " + o.plot);
      out << plotBusBandwidth(collective + " busbw, " + std::to_string(nranks) + " ranks on " + std::to_string(hosts) +
                                  " host(s): measured against predicted",
                              sizes, {measured, predicted}, "busbw (GB/s)");
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(sweepFile + ": not what collperf --json --probe writes: " + e.what());
  }
  return 0;
}

}  // namespace braid::cli
