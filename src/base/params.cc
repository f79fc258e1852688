#include "base/params.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "base/bounded_file.h"
#include "base/byte_size.h"
#include "base/env_plugin.h"
#include "base/error.h"
#include "base/text.h"

extern char** environ;

namespace braid::param {
namespace {

std::vector<const Parameter*>& registry() {
  static std::vector<const Parameter*> parameters;
  return parameters;
}

// The configuration files: the first of BRAID_CONF_FILE or ~/.braid.conf that exists wins over
// /etc/braid.conf, as NCCL's user file wins over its system one; the environment wins over both.
struct ConfigEntry {
  std::string value, origin;
};
struct ConfigFiles {
  std::map<std::string, ConfigEntry> entries;  // by variable
  std::string error;                           // "file:line: what", the first malformed line
};

void readConfigFile(const std::string& path, ConfigFiles& config) {
  std::string text;
  int error = 0;
  const std::string why = readBoundedFile(path, &text, kConfigFileLimit, &error);
  if (error == ENOENT) return;  // no such file: the next one, or none, applies
  if (!why.empty()) {
    config.error = path + ": " + why;
    return;
  }
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = path + ":" + std::to_string(number);
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    line = trim(line);
    if (line.empty()) continue;
    const size_t equals = line.find('=');
    const std::string variable = trim(line.substr(0, equals));
    if (equals == std::string::npos || variable.empty()) {
      config.error = where + ": expected NAME=value";
      return;
    }
    if (variable.rfind("BRAID_", 0) != 0 && variable.rfind("NCCL_", 0) != 0) {
      config.error = where + ": " + variable + " is not a BRAID_ or NCCL_ variable";
      return;
    }
    if (variable == "BRAID_CONF_FILE") {
      config.error = where + ": BRAID_CONF_FILE names the file; set it in the environment";
      return;
    }
    config.entries.emplace(variable, ConfigEntry{trim(line.substr(equals + 1)), where});  // the first one counts
  }
}

// Read again only when BRAID_CONF_FILE names another file (tests, and programs that set it before init).
ConfigFiles configFiles() {
  static std::mutex mutex;
  static std::optional<std::string> readFor;  // the BRAID_CONF_FILE the cache was read for ("" when unset)
  static ConfigFiles config;
  const char* named = std::getenv("BRAID_CONF_FILE");
  const std::string wanted = named ? named : "";
  std::lock_guard<std::mutex> lock(mutex);
  if (readFor != wanted) {
    config = {};
    std::vector<std::string> paths;
    if (!wanted.empty()) {
      paths.push_back(wanted);
    } else if (const char* home = std::getenv("HOME"); home && *home) {
      paths.push_back(std::string(home) + "/.braid.conf");
    }
    paths.push_back("/etc/braid.conf");
    for (const std::string& path : paths)
      if (config.error.empty()) readConfigFile(path, config);
    readFor = wanted;
  }
  return config;
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

[[noreturn]] void reject(const Setting& s, const std::string& problem) {
  std::string where = s.source == Source::ConfigFile ? " (" + s.origin + ")" : "";
  fail(ncclInvalidArgument, s.variable + "=" + quoted(s.text) + where + ": " + problem);
}

// Parses a whole decimal or C-style integer; false when the text is anything else.
bool parseInteger(const std::string& text, long long* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *value = std::strtoll(text.c_str(), &end, 0);
  return errno == 0 && end && *end == '\0';
}

bool parseFlag(const std::string& text, bool* value) {
  const std::string t = lowercase(trim(text));
  if (t == "1" || t == "true" || t == "yes" || t == "on") return *value = true, true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return *value = false, true;
  return false;
}

std::string withUnit(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

// BRAID_CONF_FILE can only come from the environment: it says where the file is.
const Text kConfFile{"CONF_FILE",
                     kBraidOnly,
                     "path",
                     "a readable file of NAME=value lines",
                     readableFile,
                     "/nonexistent/braid.conf",
                     "Braid configuration file (default ~/.braid.conf, then /etc/braid.conf); the environment wins"};

}  // namespace

const char* sourceName(Source source) {
  switch (source) {
    case Source::Environment: return "environment";
    case Source::EnvPlugin: return "environment plugin";
    case Source::ConfigFile: return "config file";
    default: return "default";
  }
}

Parameter::Parameter(const char* name, Alias alias, const char* doc) : name_(name), alias_(alias), doc_(doc) {
  registry().push_back(this);
}

Parameter::~Parameter() {
  std::vector<const Parameter*>& r = registry();
  r.erase(std::remove(r.begin(), r.end(), this), r.end());
}

std::optional<Setting> Parameter::setting() const {
  const std::string braid = name(), nccl = ncclName();
  for (const std::string& variable : {braid, nccl}) {
    if (variable.empty()) continue;
    if (const char* v = environmentValue(variable.c_str()); v && *v)
      return Setting{v, envPluginLoaded() ? Source::EnvPlugin : Source::Environment, variable, variable};
  }
  if (this == &kConfFile) return std::nullopt;
  const ConfigFiles config = configFiles();
  if (!config.error.empty()) fail(ncclInvalidArgument, "Braid configuration file " + config.error);
  for (const std::string& variable : {braid, nccl}) {
    auto found = variable.empty() ? config.entries.end() : config.entries.find(variable);
    if (found != config.entries.end())
      return Setting{found->second.value, Source::ConfigFile, variable, found->second.origin};
  }
  return std::nullopt;
}

std::optional<std::string> Parameter::checkedText() const {
  std::optional<Setting> s = setting();
  if (!s) return std::nullopt;
  if (std::string problem = problemWith(s->text); !problem.empty()) reject(*s, problem);
  return s->text;
}

Integer::Integer(const char* name, Alias alias, long long fallback, long long min, long long max, const char* doc)
    : Parameter(name, alias, doc), fallback_(fallback), min_(min), max_(max) {}

long long Integer::get() const {
  const std::optional<std::string> text = checkedText();
  long long value = fallback_;
  if (text) parseInteger(*text, &value);
  return value;
}

std::optional<long long> Integer::integerValue() const {
  if (!checkedText() && fallback_ < min_) return std::nullopt;
  return get();
}

std::string Integer::defaultText() const { return fallback_ < min_ ? "" : std::to_string(fallback_); }

std::string Integer::accepted() const {
  if (max_ == std::numeric_limits<long long>::max()) return std::to_string(min_) + " or more";
  return std::to_string(min_) + " to " + std::to_string(max_);
}

std::string Integer::problemWith(const std::string& text) const {
  long long value;
  if (!parseInteger(text, &value) || value < min_ || value > max_) return "expected an integer, " + accepted();
  return "";
}

Flag::Flag(const char* name, Alias alias, bool fallback, const char* doc)
    : Parameter(name, alias, doc), fallback_(fallback) {}

bool Flag::get() const {
  const std::optional<std::string> text = checkedText();
  bool value = fallback_;
  if (text) parseFlag(*text, &value);
  return value;
}

std::string Flag::problemWith(const std::string& text) const {
  bool value;
  return parseFlag(text, &value) ? "" : "expected 0 or 1 (also true/false, yes/no, on/off)";
}

Seconds::Seconds(const char* name, Alias alias, double fallback, Zero zero, const char* doc)
    : Parameter(name, alias, doc), fallback_(fallback), zero_(zero) {}

double Seconds::get() const {
  const std::optional<std::string> text = checkedText();
  return text ? std::strtod(text->c_str(), nullptr) : fallback_;
}

std::optional<long long> Seconds::integerValue() const {
  const double seconds = get();
  if (seconds != std::floor(seconds)) return std::nullopt;
  return static_cast<long long>(seconds);
}

std::string Seconds::defaultText() const { return withUnit(fallback_); }

std::string Seconds::accepted() const { return zero_ == kZeroMeansNever ? "0 (never) or more" : "more than 0"; }

std::string Seconds::problemWith(const std::string& text) const {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const bool number = !text.empty() && end && *end == '\0' && std::isfinite(value);
  if (!number || value < 0 || (value == 0 && zero_ == kZeroRejected))
    return "expected a number of seconds, " + accepted();
  return "";
}

Bytes::Bytes(const char* name, Alias alias, size_t fallback, size_t min, size_t max, size_t multiple, const char* doc)
    : Parameter(name, alias, doc), fallback_(fallback), min_(min), max_(max), multiple_(multiple) {}

size_t Bytes::get() const {
  const std::optional<std::string> text = checkedText();
  return text ? parseByteSize(*text) : fallback_;
}

std::string Bytes::defaultText() const { return formatByteSize(fallback_); }

std::string Bytes::accepted() const {
  std::string text = formatByteSize(min_) + " to " + formatByteSize(max_);
  if (multiple_ > 1) text += ", a multiple of " + std::to_string(multiple_);
  return text + " (K, M, G suffixes)";
}

std::string Bytes::problemWith(const std::string& text) const {
  size_t value;
  try {
    value = parseByteSize(text);
  } catch (const std::invalid_argument&) {
    return "expected bytes, " + accepted();
  }
  if (value < min_ || value > max_ || value % multiple_ != 0) return "expected bytes, " + accepted();
  return "";
}

Choice::Choice(const char* name, Alias alias, const char* fallback, std::vector<const char*> choices, const char* doc)
    : Parameter(name, alias, doc), fallback_(fallback), choices_(std::move(choices)) {}

std::string Choice::get() const {
  const std::optional<std::string> text = checkedText();
  return text ? lowercase(trim(*text)) : fallback_;
}

std::string Choice::getOrDefault() const {
  try {
    return get();
  } catch (const Error&) {
    return fallback_;
  }
}

std::string Choice::accepted() const {
  std::string text;
  for (size_t i = 0; i < choices_.size(); ++i)
    text += std::string(i == 0 ? "" : i + 1 == choices_.size() ? " or " : ", ") + choices_[i];
  return text;
}

std::string Choice::problemWith(const std::string& text) const {
  const std::string wanted = lowercase(trim(text));
  for (const char* c : choices_)
    if (wanted == lowercase(c)) return "";
  return "expected " + accepted();
}

Text::Text(const char* name, Alias alias, const char* type, const char* accepted, Check check, const char* malformed,
           const char* doc)
    : Parameter(name, alias, doc), type_(type), accepted_(accepted), check_(check), malformed_(malformed) {}

std::optional<std::string> Text::getOrNothing() const {
  try {
    return get();
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<const Parameter*> all() {
  std::vector<const Parameter*> sorted = registry();
  std::sort(sorted.begin(), sorted.end(), [](const Parameter* a, const Parameter* b) { return a->name() < b->name(); });
  return sorted;
}

const Parameter* find(const std::string& variable) {
  for (const Parameter* p : registry())
    if (variable == p->name() || (!p->ncclName().empty() && variable == p->ncclName())) return p;
  return nullptr;
}

void checkAll() {
  for (const Parameter* p : registry()) p->checkedText();
  for (const auto& [variable, entry] : configFiles().entries)
    if (!find(variable) && variable.rfind("BRAID_", 0) == 0)
      fail(ncclInvalidArgument, "Braid configuration file " + entry.origin + ": " + variable +
                                    " is not a Braid parameter (`braid env` lists them)");
}

std::vector<std::string> unknownVariables() {
  std::vector<std::string> unknown;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const std::string variable = entry.substr(0, entry.find('='));
    if (variable.rfind("BRAID_", 0) == 0 && !find(variable)) unknown.push_back(variable);
  }
  std::sort(unknown.begin(), unknown.end());
  return unknown;
}

std::string readableFile(const std::string& path) {
  const std::string why = checkBoundedFile(path);
  return why.empty() ? "" : path + ": " + why;
}

std::string writablePath(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (path.empty() || path.back() == '/') return "expected a file name";
  return ::access(folder.c_str(), W_OK) == 0 ? "" : "cannot write in " + folder + ": " + std::strerror(errno);
}

}  // namespace braid::param
