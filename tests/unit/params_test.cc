// The parameter registry (base/params.h): every parameter, fed a malformed value, is rejected with a message
// that names the variable, the value and what is accepted, and fails a communicator's init; values come from
// the environment before a configuration file before the default.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "base/error.h"
#include "base/params.h"
#include "bootstrap/unique_id.h"
#include "runtime/communicator.h"

namespace braid {
namespace {

// Parameters whose every text is acceptable: a name, a secret, a plugin that may or may not load (NCCL warns).
const std::set<std::string> kFreeForm = {"BRAID_COMM_SECRET", "BRAID_ENV_PLUGIN",      "BRAID_HOSTID",
                                         "BRAID_NET_PLUGIN",  "BRAID_PROFILER_PLUGIN", "BRAID_TUNER_PLUGIN"};

// Runs `body` in a forked process (a configuration file is read once per process); returns its exit code.
template <class Body>
int inChild(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = body();
    } catch (...) {
    }
    std::fflush(stdout);
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

// The message init fails with ("" when it succeeds), one rank alone.
std::string initFailure() {
  ncclComm comm;
  try {
    initCommunicator(&comm, createUniqueId(), 1, 0);
  } catch (const Error& e) {
    return std::to_string(e.code()) + " " + e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Parameters, EveryParameterRejectsAMalformedValueAndInitFailsNamingIt) {
  const std::vector<const param::Parameter*> all = param::all();
  ASSERT_GT(all.size(), 30u);
  for (const param::Parameter* p : all) {
    SCOPED_TRACE(p->name());
    EXPECT_FALSE(std::string(p->doc()).empty());
    EXPECT_FALSE(p->accepted().empty());
    if (!p->defaultText().empty()) {
      EXPECT_EQ(p->problemWith(p->defaultText()), "") << "the default is acceptable";
    }
    const char* bad = p->malformedExample();
    if (!bad) {
      EXPECT_TRUE(kFreeForm.count(p->name())) << "takes any text: list it in kFreeForm if that is meant";
      continue;
    }
    EXPECT_NE(p->problemWith(bad), "");
    for (const std::string& variable : {p->name(), p->ncclName()}) {
      if (variable.empty()) continue;
      const int code = inChild([&] {
        setenv(variable.c_str(), bad, 1);
        std::string read;
        try {
          p->checkedText();
        } catch (const Error& e) {
          read = e.what();
        }
        const std::string init = initFailure();
        const std::string quoted = variable + "=\"" + bad + "\"";
        if (!contains(read, quoted) || !contains(read, ": ")) return std::printf("read: '%s'\n", read.c_str()), 1;
        if (init.rfind(std::to_string(ncclInvalidArgument) + " ", 0) != 0 || !contains(init, quoted))
          return std::printf("init: '%s'\n", init.c_str()), 2;
        return 0;
      });
      EXPECT_EQ(code, 0) << variable << "=" << bad;
    }
  }
}

TEST(Parameters, TypedValuesAndTheirLimits) {
  const param::Integer integer{"TEST_INTEGER", param::kBraidOnly, 8, 2, 16, "test"};
  const param::Flag flag{"TEST_FLAG", param::kNcclAlias, true, "test"};
  const param::Seconds seconds{"TEST_SECONDS", param::kBraidOnly, 1.5, param::Seconds::kZeroRejected, "test"};
  const param::Bytes bytes{"TEST_BYTES", param::kBraidOnly, 1024, 64, 1 << 20, 64, "test"};
  const param::Choice choice{"TEST_CHOICE", param::kBraidOnly, "none", {"none", "core"}, "test"};
  EXPECT_EQ(integer.get(), 8);
  EXPECT_TRUE(flag.get());
  EXPECT_EQ(seconds.get(), 1.5);
  EXPECT_EQ(bytes.get(), 1024u);
  EXPECT_EQ(choice.get(), "none");
  setenv("BRAID_TEST_INTEGER", "16", 1);
  setenv("NCCL_TEST_FLAG", "off", 1);
  setenv("BRAID_TEST_SECONDS", "0.25", 1);
  setenv("BRAID_TEST_BYTES", "64K", 1);
  setenv("BRAID_TEST_CHOICE", " Core", 1);
  EXPECT_EQ(integer.get(), 16);
  EXPECT_FALSE(flag.get());
  EXPECT_EQ(seconds.get(), 0.25);
  EXPECT_EQ(bytes.get(), 65536u);
  EXPECT_EQ(choice.get(), "core");
  setenv("BRAID_TEST_FLAG", "1", 1);  // BRAID_ wins over NCCL_
  EXPECT_TRUE(flag.get());
  for (const char* text : {"17", "1", "0x", "", "3.5"}) EXPECT_NE(integer.problemWith(text), "") << text;
  for (const char* text : {"2", "0x10"}) EXPECT_EQ(integer.problemWith(text), "") << text;
  for (const char* text : {"100", "65", "2M", "-1"}) EXPECT_NE(bytes.problemWith(text), "") << text;
  for (const char* text : {"-1", "nan", "inf", "1s", "0"}) EXPECT_NE(seconds.problemWith(text), "") << text;
  EXPECT_EQ(seconds.problemWith("0.5"), "");
  EXPECT_EQ(choice.problemWith("numa"), "expected none or core");
  setenv("BRAID_TEST_INTEGER", "1", 1);
  try {
    integer.get();
    ADD_FAILURE() << "1 is below the minimum";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ncclInvalidArgument);
    EXPECT_STREQ(e.what(), "BRAID_TEST_INTEGER=\"1\": expected an integer, 2 to 16");
  }
  for (const char* v : {"BRAID_TEST_INTEGER", "NCCL_TEST_FLAG", "BRAID_TEST_FLAG", "BRAID_TEST_SECONDS",
                        "BRAID_TEST_BYTES", "BRAID_TEST_CHOICE"})
    unsetenv(v);
}

// A configuration file: its values count where the environment says nothing; a malformed line or a BRAID_ name
// that is no parameter is an error naming the file and line.
TEST(Parameters, ConfigurationFileBelowTheEnvironment) {
  char path[] = "/tmp/braid-conf-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  const param::Parameter* timeout = param::find("BRAID_TIMEOUT");
  const param::Parameter* algo = param::find("NCCL_ALGO");
  ASSERT_TRUE(timeout && algo);
  write("# site defaults\nBRAID_TIMEOUT = 30\n\nNCCL_ALGO=ring  # NCCL's name\n");
  EXPECT_EQ(inChild([&] {
              setenv("BRAID_CONF_FILE", path, 1);
              unsetenv("BRAID_TIMEOUT");
              setenv("BRAID_ALGO", "tree", 1);
              const auto t = timeout->setting();
              const auto a = algo->setting();
              param::checkAll();
              return t && t->text == "30" && t->source == param::Source::ConfigFile &&
                             t->origin == std::string(path) + ":2" && a && a->text == "tree" &&
                             a->source == param::Source::Environment
                         ? 0
                         : 1;
            }),
            0);
  write("BRAID_TIMEOUT=30\nBRAID_TIMEOUT\n");
  EXPECT_EQ(inChild([&] {
              setenv("BRAID_CONF_FILE", path, 1);
              try {
                timeout->setting();
              } catch (const Error& e) {
                return std::string(e.what()) ==
                               "Braid configuration file " + std::string(path) + ":2: expected NAME=value"
                           ? 0
                           : 1;
              }
              return 2;
            }),
            0);
  write("BRAID_TIMOUT=30\n");
  EXPECT_EQ(inChild([&] {
              setenv("BRAID_CONF_FILE", path, 1);
              try {
                param::checkAll();
              } catch (const Error& e) {
                return contains(e.what(), std::string(path) + ":1: BRAID_TIMOUT is not a Braid parameter") ? 0 : 1;
              }
              return 2;
            }),
            0);
  write("BRAID_TIMEOUT=soon\n");
  EXPECT_EQ(inChild([&] {
              setenv("BRAID_CONF_FILE", path, 1);
              const std::string failure = initFailure();
              return contains(failure, "BRAID_TIMEOUT=\"soon\" (" + std::string(path) + ":1)") ? 0 : 1;
            }),
            0);
  unlink(path);
}

TEST(Parameters, UnknownBraidVariablesAreNamed) {
  setenv("BRAID_TIMEOUTS", "5", 1);
  const std::vector<std::string> unknown = param::unknownVariables();
  EXPECT_NE(std::find(unknown.begin(), unknown.end(), "BRAID_TIMEOUTS"), unknown.end());
  EXPECT_EQ(std::find(unknown.begin(), unknown.end(), "BRAID_TIMEOUT"), unknown.end());
  unsetenv("BRAID_TIMEOUTS");
}

// The values the hardening issue (#26) found accepted: each is now refused, naming what is accepted. A socket
// staging buffer smaller than one element deadlocked every socket collective; a negative timeout meant never; a
// port out of range wrapped; /dev/zero or a directory as a file was read without end or silently ignored.
TEST(Parameters, ValuesThatUsedToBeTakenAreRefused) {
  const std::vector<std::pair<std::string, std::string>> refused = {{"BRAID_SOCKET_STAGING_BYTES", "0"},
                                                                    {"BRAID_SOCKET_STAGING_BYTES", "3"},
                                                                    {"BRAID_TIMEOUT", "-5"},
                                                                    {"BRAID_BOOTSTRAP_TIMEOUT", "abc"},
                                                                    {"BRAID_COMM_ID", "127.0.0.1:99999"},
                                                                    {"BRAID_COMM_ID", "127.0.0.1:0"},
                                                                    {"BRAID_SIMD", "garbage"},
                                                                    {"BRAID_TUNE_FILE", "/tmp"},
                                                                    {"BRAID_TUNE_FILE", "/dev/zero"},
                                                                    {"BRAID_TOPO_FILE", "/dev/zero"},
                                                                    {"BRAID_TOPO_FILE", "/no/such/file.xml"}};
  for (const auto& [name, value] : refused) {
    const param::Parameter* p = param::find(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_NE(p->problemWith(value), "") << name << "=" << value;
  }
  EXPECT_TRUE(contains(param::find("BRAID_TUNE_FILE")->problemWith("/tmp"), "is a directory"));
  EXPECT_TRUE(contains(param::find("BRAID_TUNE_FILE")->problemWith("/dev/zero"), "larger than 16 MiB"));
}

// A configuration file that is a directory or has no end is an error naming it, not a hang or a silent skip.
TEST(Parameters, UnreadableConfigurationFileIsNamed) {
  for (const char* path : {"/tmp", "/dev/zero"}) {
    EXPECT_EQ(inChild([&] {
                setenv("BRAID_CONF_FILE", path, 1);
                try {
                  param::checkAll();
                } catch (const Error& e) {
                  return contains(e.what(), std::string(path) + ": ") ? 0 : 1;
                }
                return 2;
              }),
              0)
        << path;
  }
}

}  // namespace
}  // namespace braid
