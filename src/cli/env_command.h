// `braid env`: every parameter Braid reads (base/params.h), its value and where the value came from; with
// --markdown, the reference table the README carries (tests/docs/readme_params.sh keeps the two equal).
#pragma once

#include <CLI/CLI.hpp>

namespace braid::cli {

struct EnvOptions {
  bool markdown = false;
};

void addEnvCommand(CLI::App& app, EnvOptions& options);
// Prints the table; returns 1 when a set value is malformed or a BRAID_ variable is no parameter, else 0.
int runEnv(const EnvOptions& options);

}  // namespace braid::cli
