// `braid doctor`: why is my busbw lower than it should be? It runs a collperf sweep with its probes on this
// host (--np N), or reads one run elsewhere (--sweep from `collperf --json --probe`, --topology from
// BRAID_TOPO_DUMP_FILE), predicts what the topology the library saw should deliver (the planner's model), and
// reports per size measured against predicted, with the causes its checks find (cli/doctor_checks.h): a table,
// JSON, and an SVG plot.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace braid::cli {

struct DoctorOptions {
  std::string sweep, topology;  // read a run made elsewhere
  int localRanks = 0;           // or run collperf with this many local ranks
  std::string collperf;         // that collperf (default: next to braid, else on PATH)
  std::string collective = "allreduce", minBytes = "1M", maxBytes = "64M", workDir;
  double margin = 0.25;  // a size is short when measured < (1 - margin) x predicted
  bool json = false;
  std::string plot;
};

void addDoctorCommand(CLI::App& app, DoctorOptions& options);
int runDoctor(const DoctorOptions& options);  // throws std::exception with a message for the user

}  // namespace braid::cli
