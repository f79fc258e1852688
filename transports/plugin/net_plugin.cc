#include "transports/plugin/net_plugin.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"
#include "base/plugin_library.h"

namespace braid {
namespace {

constexpr int kSlots = 8;

const param::Text kNetPlugin{"NET_PLUGIN",
                             param::kNcclAlias,
                             "name",
                             "plugin names (foo: libnccl-net-foo.so) or paths, comma-separated, or none",
                             nullptr,
                             nullptr,
                             "NCCL network plugins to try in order (braid-example ships with Braid; unset: "
                             "libnccl-net.so if present); one that does not load is a warning, as in NCCL"};
const param::Bytes kPluginSlotBytes{"NET_PLUGIN_SLOT_BYTES",
                                    param::kBraidOnly,
                                    kDefaultMessageSlotBytes,
                                    64,
                                    kMaxMessageSlotBytes,
                                    64,
                                    "bytes per message slot over a network plugin"};

// Its log lines join Braid's under the NET subsystem.
constexpr char kNetSubsystem[] = "NET";
constexpr auto pluginLog = pluginLogger<kNetSubsystem>;

// Opens, adapts and initializes one library; null (with the reason at WARN, or at INFO for the quiet default
// probe) when it cannot serve.
std::shared_ptr<NetPlugin> load(const std::string& setting, bool quiet) {
  const LogLevel level = quiet ? LogLevel::Info : LogLevel::Warn;
  const std::string file = pluginFileName("net", setting);
  void* library = openPluginLibrary(file);
  if (!library) {
    if (logEnabled(level, "NET"))
      logMessage(level, "NET", "network plugin %s not loaded (%s)", file.c_str(), dlerror());
    return nullptr;
  }
  std::unique_ptr<NetAbi> abi = NetAbi::of(library);
  if (!abi) {
    const std::string offered = NetAbi::versionsOffered(library);
    logMessage(level, "NET", "network plugin %s has no ABI version Braid loads (ncclNetPlugin_v%d to v%d): %s",
               file.c_str(), NetAbi::kOldest, NetAbi::kNewest,
               offered.empty() ? "it exports no ncclNetPlugin symbol" : ("it offers " + offered).c_str());
    dlclose(library);
    return nullptr;
  }
  int devices = 0;
  ncclResult_t r = abi->init(pluginLog);
  if (r == ncclSuccess) r = abi->devices(&devices);
  std::vector<int> hostDevices;
  std::string described;
  for (int d = 0; r == ncclSuccess && d < devices; ++d) {
    NetDeviceProperties props;
    r = abi->properties(d, &props);
    if (r != ncclSuccess) break;
    if (props.ptrSupport & NCCL_PTR_HOST) hostDevices.push_back(d);
    described += (described.empty() ? "" : ", ") + props.name + " " + std::to_string(props.speedMbps) + " Mb/s" +
                 (props.ptrSupport & NCCL_PTR_HOST ? "" : " (no host buffers)");
  }
  if (r != ncclSuccess || hostDevices.empty()) {
    logMessage(level, "NET", "network plugin %s (%s, ncclNet_v%d) %s", file.c_str(), abi->name(), abi->version(),
               r != ncclSuccess ? ("failed to initialize (NCCL result " + std::to_string(r) + ")").c_str()
               : devices < 1    ? "has no devices"
                                : "has no device that takes host buffers (NCCL_PTR_HOST)");
    dlclose(library);
    return nullptr;
  }
  BRAID_INFO("NET", "loaded network plugin %s (ncclNet_v%d, the newest it offers that Braid loads) from %s: %s",
             abi->name(), abi->version(), file.c_str(), described.c_str());
  return std::make_shared<NetPlugin>(library, std::move(abi), std::move(hostDevices));
}

// BRAID_NET_PLUGIN's libraries in order, the first that serves; unset, NCCL's default name, quietly.
std::shared_ptr<NetPlugin> loadConfigured() {
  const std::optional<std::string> setting = kNetPlugin.get();
  if (!setting) return load("libnccl-net.so", true);
  if (*setting == "none") return nullptr;
  std::string tried;
  for (size_t start = 0; start <= setting->size();) {
    size_t end = setting->find(',', start);
    if (end == std::string::npos) end = setting->size();
    const std::string name = setting->substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    if (auto plugin = load(name, false)) return plugin;
    tried += (tried.empty() ? "" : ", ") + name;
  }
  BRAID_WARN("NET", "no network plugin of BRAID_NET_PLUGIN=%s loaded (tried %s): using Braid's own transports",
             setting->c_str(), tried.c_str());
  return nullptr;
}

class PluginPort : public MessagePort {
 public:
  PluginPort(std::shared_ptr<NetPlugin> plugin, void* comm, bool sending, int peer, std::shared_ptr<void> context,
             std::shared_ptr<const PeerWatch> watch)
      : plugin_(std::move(plugin)),
        context_(std::move(context)),
        comm_(comm),
        sending_(sending),
        peer_(peer),
        watch_(std::move(watch)),
        slotBytes_(kPluginSlotBytes.get()),
        slots_(kSlots) {
    for (Slot& s : slots_) {
      s.data.reset(new char[slotBytes_]);
      plugin_->check(plugin_->net().regMr(comm_, s.data.get(), slotBytes_, NCCL_PTR_HOST, &s.mhandle), "regMr");
    }
  }
  ~PluginPort() override {
    NetAbi& net = plugin_->net();
    for (Slot& s : slots_)
      if (s.mhandle) net.deregMr(comm_, s.mhandle);
    // Closing first: the plugin must not touch the slots once they are freed.
    sending_ ? net.closeSend(comm_) : net.closeRecv(comm_);
  }
  int slotCount() const override { return kSlots; }
  size_t slotBytes() const override { return slotBytes_; }
  char* slot(int index) override { return slots_[index].data.get(); }

  bool post(int index, size_t bytes) override {
    Slot& s = slots_[index];
    NetAbi& net = plugin_->net();
    const int tag = 0;
    ncclResult_t r = sending_ ? net.isend(comm_, s.data.get(), bytes, tag, s.mhandle, &s.request)
                              : net.irecv(comm_, s.data.get(), bytes, tag, s.mhandle, &s.request);
    checkResult(r, sending_ ? "isend" : "irecv");
    return s.request != nullptr;
  }

  bool test(int index, size_t& bytes) override {
    Slot& s = slots_[index];
    int done = 0;
    checkResult(plugin_->net().test(s.request, &done, &bytes), "test");
    if (!done) return false;
    s.request = nullptr;
    return true;
  }

  void checkPeer() override { watch_->check(); }

 private:
  struct Slot {
    std::unique_ptr<char[]> data;
    void* mhandle = nullptr;
    void* request = nullptr;
  };
  void checkResult(ncclResult_t r, const char* call) {
    if (r == ncclSuccess) return;
    watch_->check();  // a dead peer explains most failures: say that first
    plugin_->check(r, (std::string(call) + (sending_ ? " to rank " : " from rank ") + std::to_string(peer_)).c_str());
  }
  std::shared_ptr<NetPlugin> plugin_;
  std::shared_ptr<void> context_;  // let go after the comm is closed (members go after the destructor's body)
  void* comm_;
  bool sending_;
  int peer_;
  std::shared_ptr<const PeerWatch> watch_;
  size_t slotBytes_;
  std::vector<Slot> slots_;
};

}  // namespace

std::shared_ptr<NetPlugin> NetPlugin::configured() {
  // dlopen and init once per process, as NCCL does; later communicators share the plugin.
  static std::once_flag once;
  static std::shared_ptr<NetPlugin> plugin;
  std::call_once(once, [] { plugin = loadConfigured(); });
  return plugin;
}

void NetPlugin::check(ncclResult_t result, const char* call) const {
  if (result != ncclSuccess)
    braid::fail(result == ncclRemoteError ? ncclRemoteError : ncclSystemError,
                std::string("network plugin ") + abi_->name() + ": " + call + " failed with NCCL result " +
                    std::to_string(static_cast<int>(result)));
}

std::shared_ptr<void> NetPlugin::openContext(uint64_t communicatorId, int trafficClass) {
  void* context = nullptr;
  check(abi_->openContext(communicatorId, trafficClass, &context), "init (a communicator's context)");
  std::shared_ptr<NetPlugin> self = shared_from_this();
  return std::shared_ptr<void>(context, [self](void* c) {
    if (ncclResult_t r = self->abi_->closeContext(c); r != ncclSuccess)
      BRAID_WARN("NET", "network plugin %s: finalize failed with NCCL result %d", self->name(), static_cast<int>(r));
  });
}

std::unique_ptr<MessagePort> NetPlugin::sendPort(void* sendComm, int peer, std::shared_ptr<void> context,
                                                 std::shared_ptr<const PeerWatch> watch) {
  return std::make_unique<PluginPort>(shared_from_this(), sendComm, true, peer, std::move(context), std::move(watch));
}

std::unique_ptr<MessagePort> NetPlugin::recvPort(void* recvComm, int peer, std::shared_ptr<void> context,
                                                 std::shared_ptr<const PeerWatch> watch) {
  return std::make_unique<PluginPort>(shared_from_this(), recvComm, false, peer, std::move(context), std::move(watch));
}

}  // namespace braid
