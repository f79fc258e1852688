// The parameter registry: every setting Braid reads from its environment, declared once, typed and checked.
//
// A parameter is declared where it is used, as a namespace-scope object that registers itself:
//
//   const param::Integer kShmSlots{"SHM_SLOTS", param::kBraidOnly, 8, 2, 1024, "slots per shared-memory FIFO"};
//   ... kShmSlots.get() ...
//
// Its value comes from BRAID_<name>, else NCCL_<name> when NCCL gives the name the same meaning (kNcclAlias),
// else a Braid configuration file (BRAID_CONF_FILE, else ~/.braid.conf, else /etc/braid.conf: lines of
// NAME=value, `#` comments), else its default. get() checks the value and throws Error(ncclInvalidArgument)
// naming the variable, the value and what is accepted: never a silent default. checkAll() does that for every
// parameter that is set (communicator init and ncclGetUniqueId call it, so a bad value fails before anything
// connects), and `braid env` prints every parameter with its value and where it came from.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace braid::param {

enum class Alias { kBraidOnly, kNccl };
constexpr Alias kBraidOnly = Alias::kBraidOnly;  // only BRAID_<name>
constexpr Alias kNcclAlias = Alias::kNccl;       // NCCL_<name> too

enum class Source { Default, Environment, EnvPlugin, ConfigFile };
const char* sourceName(Source source);  // "default", "environment", "environment plugin", "config file"

// Where a set parameter's text came from.
struct Setting {
  std::string text;
  Source source;
  std::string variable;  // BRAID_X or NCCL_X as written
  std::string origin;    // the variable, or "file:line" for a configuration file
};

class Parameter {
 public:
  Parameter(const char* name, Alias alias, const char* doc);
  virtual ~Parameter();  // leaves the registry
  Parameter(const Parameter&) = delete;
  Parameter& operator=(const Parameter&) = delete;

  std::string name() const { return std::string("BRAID_") + name_; }
  std::string ncclName() const { return alias_ == kNcclAlias ? std::string("NCCL_") + name_ : ""; }
  const char* doc() const { return doc_; }
  // The value as set, unchecked; nullopt when unset (the default applies).
  std::optional<Setting> setting() const;
  // The value as set, checked (throws Error naming the variable, the value and what is accepted).
  std::optional<std::string> checkedText() const;

  // What describes the type to people ("integer", "seconds", "bytes", "boolean", "choice", "text", "path").
  virtual const char* typeName() const = 0;
  virtual std::string defaultText() const = 0;  // "" when there is none (shown as "unset")
  virtual std::string accepted() const = 0;
  // What is wrong with `text` ("" when it is acceptable).
  virtual std::string problemWith(const std::string& text) const = 0;
  // A value problemWith() rejects, for the test that feeds every parameter a malformed value; null when every
  // text is acceptable (a free-form name or secret).
  virtual const char* malformedExample() const = 0;
  // The value in effect as a whole number (checked, as get()), for NCCL's typed parameter getters; nullopt when
  // the parameter is no number, or is unset without a default.
  virtual std::optional<long long> integerValue() const { return std::nullopt; }

 private:
  const char* name_;
  Alias alias_;
  const char* doc_;
};

// Whole numbers in [min, max]; a fallback below min means no default.
class Integer : public Parameter {
 public:
  Integer(const char* name, Alias alias, long long fallback, long long min, long long max, const char* doc);
  long long get() const;
  const char* typeName() const override { return "integer"; }
  std::string defaultText() const override;
  std::string accepted() const override;
  std::string problemWith(const std::string& text) const override;
  const char* malformedExample() const override { return "twelve"; }
  std::optional<long long> integerValue() const override;

 private:
  long long fallback_, min_, max_;
};

// 0/1, also true/false, yes/no, on/off (any case).
class Flag : public Parameter {
 public:
  Flag(const char* name, Alias alias, bool fallback, const char* doc);
  bool get() const;
  const char* typeName() const override { return "boolean"; }
  std::string defaultText() const override { return fallback_ ? "1" : "0"; }
  std::string accepted() const override { return "0 or 1"; }
  std::string problemWith(const std::string& text) const override;
  const char* malformedExample() const override { return "maybe"; }
  std::optional<long long> integerValue() const override { return get() ? 1 : 0; }

 private:
  bool fallback_;
};

// Seconds as a decimal number: more than 0, or 0 too where it means "never".
class Seconds : public Parameter {
 public:
  enum Zero { kZeroRejected, kZeroMeansNever };
  Seconds(const char* name, Alias alias, double fallback, Zero zero, const char* doc);
  double get() const;
  const char* typeName() const override { return "seconds"; }
  std::string defaultText() const override;
  std::string accepted() const override;
  std::string problemWith(const std::string& text) const override;
  const char* malformedExample() const override { return "10min"; }
  std::optional<long long> integerValue() const override;  // whole seconds only

 private:
  double fallback_;
  Zero zero_;
};

// Bytes: 65536, 64K, 1M, 1G (powers of 1024), in [min, max] and a multiple of `multiple`.
class Bytes : public Parameter {
 public:
  Bytes(const char* name, Alias alias, size_t fallback, size_t min, size_t max, size_t multiple, const char* doc);
  size_t get() const;
  const char* typeName() const override { return "bytes"; }
  std::string defaultText() const override;
  std::string accepted() const override;
  std::string problemWith(const std::string& text) const override;
  const char* malformedExample() const override { return "lots"; }
  std::optional<long long> integerValue() const override { return static_cast<long long>(get()); }

 private:
  size_t fallback_, min_, max_, multiple_;
};

// One of a few words (any case); get() returns it in lower case.
class Choice : public Parameter {
 public:
  Choice(const char* name, Alias alias, const char* fallback, std::vector<const char*> choices, const char* doc);
  std::string get() const;
  // The value in effect without throwing: the default when the setting is malformed (for code that runs lazily
  // where an exception cannot go, e.g. logging; checkAll() reports the bad value at init).
  std::string getOrDefault() const;
  const char* typeName() const override { return "choice"; }
  std::string defaultText() const override { return fallback_; }
  std::string accepted() const override;
  std::string problemWith(const std::string& text) const override;
  const char* malformedExample() const override { return "bogus"; }

 private:
  const char* fallback_;
  std::vector<const char*> choices_;
};

// Text with a syntax of its own (a list, an address, a file), checked by `check` (returns what is wrong, "" when
// acceptable); no value when unset. `check` null: every text is acceptable.
class Text : public Parameter {
 public:
  using Check = std::string (*)(const std::string& text);
  Text(const char* name, Alias alias, const char* type, const char* accepted, Check check, const char* malformed,
       const char* doc);
  std::optional<std::string> get() const { return checkedText(); }
  std::optional<std::string> getOrNothing() const;  // as Choice::getOrDefault: unset when malformed
  const char* typeName() const override { return type_; }
  std::string defaultText() const override { return ""; }
  std::string accepted() const override { return accepted_; }
  std::string problemWith(const std::string& text) const override { return check_ ? check_(text) : ""; }
  const char* malformedExample() const override { return malformed_; }

 private:
  const char* type_;
  const char* accepted_;
  Check check_;
  const char* malformed_;
};

// Every registered parameter, by name.
std::vector<const Parameter*> all();
// By BRAID_ or NCCL_ name; null when no parameter has it.
const Parameter* find(const std::string& variable);
// Checks every parameter that is set (environment and configuration file): throws for the first bad value.
void checkAll();
// BRAID_* variables of this environment that are no parameter (typos): their names.
std::vector<std::string> unknownVariables();

// Checks shared by several parameters' Text: a readable file; a path whose folder exists (a file to write).
std::string readableFile(const std::string& path);
std::string writablePath(const std::string& path);

}  // namespace braid::param
