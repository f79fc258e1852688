// `braid plan`: predicted time and bandwidth of every algorithm for a cluster built from a topology, per size,
// and the one the planner picks; optionally a tuning file for the library and an SVG plot.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "algorithms/planner/topology_model.h"

namespace braid::cli {

struct PlanOptions {
  std::string preset, file, fabric = "fat-tree", collective = "allreduce", bytes, sizes = "8:1G", algorithms;
  std::string tuneFile, plot;
  std::string p2pLevel;  // NCCL_P2P_LEVEL's role; empty: NCCL's default for the node
  int nodes = 1;
  int ranksPerNode = 0;
  int hostRanks = 0;  // plan with the library's own model of N ranks on this host instead of a topology
  int maxChannels = planner::kDefaultMaxChannels;
  bool json = false;
};

void addPlanCommand(CLI::App& app, PlanOptions& options);
int runPlan(const PlanOptions& options);  // throws std::exception with a message for the user

}  // namespace braid::cli
