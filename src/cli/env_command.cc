#include "cli/env_command.h"

#include <iostream>
#include <string>

#include "base/env_plugin.h"
#include "base/error.h"
#include "base/params.h"

namespace braid::cli {
namespace {

std::string orUnset(const std::string& text) { return text.empty() ? "unset" : text; }

std::string padded(const std::string& text, size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

// The README's reference table: one row per parameter, as the registry declares it.
void printMarkdown() {
  std::cout << "| variable | NCCL alias | default | accepted | meaning |\n|---|---|---|---|---|\n";
  for (const param::Parameter* p : param::all()) {
    const std::string alias = p->ncclName().empty() ? "" : "`" + p->ncclName() + "`";
    std::cout << "| `" << p->name() << "` | " << alias << " | " << orUnset(p->defaultText()) << " | " << p->accepted()
              << " | " << p->doc() << " |\n";
  }
}

// The values in effect now, and a line for every malformed value or unknown BRAID_ variable.
int printSettings() {
  int problems = 0;
  const PluginReport plugin = envPluginReport();
  if (!plugin.message.empty()) std::cout << (plugin.loaded ? "" : "warning: ") << plugin.message << "\n";
  problems += !plugin.loaded && !plugin.message.empty();
  std::cout << padded("variable", 30) << padded("value", 24) << "from\n";
  for (const param::Parameter* p : param::all()) {
    std::string value = orUnset(p->defaultText()), from = "default", error;
    try {
      if (const std::optional<param::Setting> s = p->setting()) {
        value = s->text;
        from = std::string(param::sourceName(s->source)) + " (" + s->origin + ")";
        p->checkedText();
      }
    } catch (const Error& e) {
      error = e.what();
    }
    std::cout << padded(p->name(), 30) << padded(value, 24) << from << "\n";
    if (!error.empty()) std::cout << "  error: " << error << "\n", ++problems;
  }
  for (const std::string& unknown : param::unknownVariables())
    std::cout << "warning: " << unknown << " is set but is no Braid parameter\n", ++problems;
  return problems ? 1 : 0;
}

}  // namespace

void addEnvCommand(CLI::App& app, EnvOptions& options) {
  CLI::App* env = app.add_subcommand("env", "every Braid parameter: its value and where it came from");
  env->add_flag("--markdown", options.markdown, "the reference table the README carries");
}

int runEnv(const EnvOptions& options) {
  if (options.markdown) {
    printMarkdown();
    return 0;
  }
  return printSettings();
}

}  // namespace braid::cli
