// The braid command: `braid topo` shows, converts and checks topologies; `braid plan` predicts and picks
// algorithms for a cluster (cli/plan_command.cc); `braid doctor` explains a run's shortfall
// (cli/doctor_command.cc); `braid env` lists the parameters (cli/env_command.cc).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "cli/doctor_command.h"
#include "cli/env_command.h"
#include "cli/plan_command.h"
#include "topology/discovery.h"
#include "topology/graph.h"
#include "topology/paths.h"
#include "topology/presets.h"
#include "topology/render.h"
#include "topology/vendor_matrix.h"

namespace {

using namespace braid::topo;

struct TopoOptions {
  std::string file, preset, format = "text", output, sysfs = "/sys";
  std::vector<std::string> vendorMatrices;
  bool listPresets = false;
};

int topo(const TopoOptions& o) {
  if (o.listPresets) {
    for (const PresetInfo& p : presetList()) std::cout << p.name << "\t" << p.description << "\n";
    return 0;
  }
  XmlElement root = !o.file.empty()     ? loadXmlFile(o.file)
                    : !o.preset.empty() ? presetTopology(o.preset)
                                        : discoverHost(o.sysfs);
  const std::string source = !o.file.empty() ? o.file : !o.preset.empty() ? "preset " + o.preset : "discovery";
  for (const std::string& m : o.vendorMatrices) applyVendorMatrix(root, parseVendorMatrix(readTextFile(m), m), m);
  Graph graph = buildGraph(root, source);
  std::string text;
  if (o.format == "xml") {
    text = writeXml(root);
  } else if (o.format == "text") {
    text = renderText(root, graph);
  } else if (o.format == "dot") {
    text = renderDot(graph);
  } else {
    PathTable paths(graph);
    text = o.format == "matrix" ? renderMatrix(graph, paths) : renderJson(graph, paths);
  }
  if (o.output.empty()) {
    std::cout << text;
  } else {
    std::ofstream(o.output) << text;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"braid: topology and planning tools for Braid", "braid"};
  app.require_subcommand(1);
  TopoOptions t;
  CLI::App* topoCommand = app.add_subcommand("topo", "discover, load, convert and show a topology");
  auto* file = topoCommand->add_option("--file", t.file, "topology XML (NCCL's format or Braid's superset)");
  topoCommand->add_option("--preset", t.preset, "a built-in system (see --list-presets)")->excludes(file);
  topoCommand->add_option("--format", t.format, "text|xml|matrix|dot|json")
      ->check(CLI::IsMember({"text", "xml", "matrix", "dot", "json"}));
  topoCommand->add_option(
      "--vendor-matrix", t.vendorMatrices,
      "add vendor links from a captured `nvidia-smi topo -m` / `npu-smi info -t topo` / `mx-smi topo -m`");
  topoCommand->add_option("--sysfs", t.sysfs, "where sysfs is mounted (discovery)");
  topoCommand->add_option("-o,--output", t.output, "write to this file instead of standard output");
  topoCommand->add_flag("--list-presets", t.listPresets, "list the built-in systems");
  braid::cli::PlanOptions p;
  braid::cli::addPlanCommand(app, p);
  braid::cli::EnvOptions e;
  braid::cli::addEnvCommand(app, e);
  braid::cli::DoctorOptions d;
  braid::cli::addDoctorCommand(app, d);
  CLI11_PARSE(app, argc, argv);
  std::string command = "topo";
  for (const char* c : {"plan", "env", "doctor"})
    if (app.got_subcommand(c)) command = c;
  try {
    if (command == "env") return braid::cli::runEnv(e);
    if (command == "doctor") return braid::cli::runDoctor(d);
    return command == "plan" ? braid::cli::runPlan(p) : topo(t);
  } catch (const std::exception& error) {  // TopologyError and bad arguments: the message says what is wrong
    std::cerr << "braid " << command << ": " << error.what() << "\n";
    return 1;
  }
}
