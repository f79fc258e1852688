#include "algorithms/planner/tuner_plugin.h"

#include <dlfcn.h>

#include <cstdarg>

#include "base/error.h"
#include "base/params.h"
#include "base/plugin_library.h"

namespace braid::planner {
namespace {

const param::Text kTunerPlugin{"TUNER_PLUGIN",
                               param::kNcclAlias,
                               "name",
                               "a plugin name (foo: libnccl-tuner-foo.so), a path or none",
                               nullptr,
                               nullptr,
                               "NCCL tuner plugin the planner consults (unset: libnccl-tuner.so if present)"};

// Its log lines join Braid's under the TUNING subsystem.
constexpr char kTuningSubsystem[] = "TUNING";
constexpr auto tunerLog = pluginLogger<kTuningSubsystem>;

// A loaded library through one version's table; sessions hold it (and so the library) alive.
class Tuner {
 public:
  virtual ~Tuner() = default;
  virtual const char* name() const = 0;
  virtual int version() const = 0;
  virtual std::shared_ptr<TunerSession> open(uint64_t communicatorId, size_t nranks, size_t nodes) = 0;
};

void check(ncclResult_t r, const char* plugin, const char* call) {
  if (r != ncclSuccess)
    fail(ncclInternalError, std::string("tuner plugin ") + plugin + ": " + call + " failed with NCCL result " +
                                std::to_string(static_cast<int>(r)));
}

// v2's answer as a table edit: the cell it names (a whole row when it names no protocol) costs nothing.
void applyNamedCell(int algorithm, int protocol, CostTable& table) {
  if (algorithm < 0 || algorithm >= NCCL_NUM_ALGORITHMS || protocol >= NCCL_NUM_PROTOCOLS) return;
  for (int p = 0; p < NCCL_NUM_PROTOCOLS; ++p)
    if ((protocol < 0 || p == protocol) && table[algorithm][p] != NCCL_ALGO_PROTO_IGNORE) table[algorithm][p] = 0;
}

template <int V, class Table>
class VersionedSession : public TunerSession {
 public:
  VersionedSession(const Table* table, void* context) : table_(table), context_(context) {}
  ~VersionedSession() override {
    if constexpr (V >= 5) table_->finalize(context_);
    else table_->destroy(context_);
  }
  const char* name() const override { return table_->name; }
  int version() const override { return V; }
  void consult(ncclFunc_t func, size_t bytes, CostTable& table) override {
    int channels = 0;
    if constexpr (V == 2) {
      int algorithm = NCCL_ALGO_UNDEF, protocol = NCCL_PROTO_UNDEF;
      check(table_->getCollInfo(context_, func, bytes, 0, 0, 1, &algorithm, &protocol, &channels), name(),
            "getCollInfo");
      applyNamedCell(algorithm, protocol, table);
    } else {
      auto* cells = reinterpret_cast<float**>(&table[0][0]);  // NCCL passes its float[][] this way
      if constexpr (V == 3)
        check(table_->getCollInfo(context_, func, bytes, 1, cells, NCCL_NUM_ALGORITHMS, NCCL_NUM_PROTOCOLS, &channels),
              name(), "getCollInfo");
      else
        check(
            table_->getCollInfo(context_, func, bytes, 1, cells, NCCL_NUM_ALGORITHMS, NCCL_NUM_PROTOCOLS, 0, &channels),
            name(), "getCollInfo");
    }
  }

 private:
  const Table* table_;
  void* context_;
};

template <int V, class Table>
class VersionedTuner : public Tuner {
 public:
  explicit VersionedTuner(const Table* table) : table_(table) {}
  const char* name() const override { return table_->name; }
  int version() const override { return V; }
  std::shared_ptr<TunerSession> open(uint64_t communicatorId, size_t nranks, size_t nodes) override {
    void* context = nullptr;
    if constexpr (V >= 5) {
      // The host device has no NVLink: each host is its own domain. NCCL's GPU tuning constants do not apply
      // to Braid's model; the tuner gets zeros, and what it writes there is not used.
      const int perHost = static_cast<int>((nranks + nodes - 1) / nodes);
      ncclNvlDomainInfo_v5_t domains{static_cast<int>(nodes), perHost, perHost};
      ncclTunerConstants_v5_t constants{};
      check(table_->init(&context, communicatorId, nranks, nodes, tunerLog, &domains, &constants), name(), "init");
    } else {
      check(table_->init(nranks, nodes, tunerLog, &context), name(), "init");
    }
    return std::make_shared<VersionedSession<V, Table>>(table_, context);
  }

 private:
  const Table* table_;
};

template <int V, class Table>
std::unique_ptr<Tuner> adapt(void* library, const char* symbol) {
  const auto* table = static_cast<const Table*>(dlsym(library, symbol));
  return table ? std::make_unique<VersionedTuner<V, Table>>(table) : nullptr;
}

std::unique_ptr<Tuner> newestTuner(void* library) {
  if (auto t = adapt<6, ncclTuner_v6_t>(library, "ncclTunerPlugin_v6")) return t;
  if (auto t = adapt<5, ncclTuner_v5_t>(library, "ncclTunerPlugin_v5")) return t;
  if (auto t = adapt<4, ncclTuner_v4_t>(library, "ncclTunerPlugin_v4")) return t;
  if (auto t = adapt<3, ncclTuner_v3_t>(library, "ncclTunerPlugin_v3")) return t;
  return adapt<2, ncclTuner_v2_t>(library, "ncclTunerPlugin_v2");
}

using Loaded = LoadedPlugin<Tuner>;

Loaded load() {
  return loadNewestPlugin<Tuner>("tuner", kTunerPlugin.get(), "ncclTuner_v", "ncclTunerPlugin_v2 to v6", newestTuner);
}

const Loaded& loadedOnce() {
  static const Loaded* loaded = new Loaded(load());  // never freed: sessions may end at any time
  return *loaded;
}

}  // namespace

std::shared_ptr<TunerSession> openTunerSession(uint64_t communicatorId, size_t nranks, size_t nodes) {
  const Loaded& loaded = loadedOnce();
  return loaded.plugin ? loaded.plugin->open(communicatorId, nranks, nodes) : nullptr;
}

PluginReport tunerReport() { return loadedOnce().report; }

}  // namespace braid::planner
