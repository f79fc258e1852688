#include "transports/plugin/net_plugin.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/params.h"

namespace braid {
namespace {

constexpr int kSlots = 8;

const param::Text kNetPlugin{"NET_PLUGIN",
                             param::kNcclAlias,
                             "name",
                             "a plugin name (foo: libnccl-net-foo.so), a path or none",
                             nullptr,
                             nullptr,
                             "NCCL network plugin to load (braid-example ships with Braid); one that does not load "
                             "is a warning, as in NCCL, unless BRAID_NET asks for it"};
const param::Bytes kPluginSlotBytes{"NET_PLUGIN_SLOT_BYTES",
                                    param::kBraidOnly,
                                    kDefaultMessageSlotBytes,
                                    64,
                                    kMaxMessageSlotBytes,
                                    64,
                                    "bytes per message slot over a network plugin"};

// Plugins log through NCCL's logger signature; their lines join Braid's under the NET subsystem.
void pluginLog(ncclDebugLogLevel level, unsigned long, const char* file, int line, const char* fmt, ...) {
  LogLevel braidLevel = level <= NCCL_LOG_WARN   ? LogLevel::Warn
                        : level == NCCL_LOG_INFO ? LogLevel::Info
                                                 : LogLevel::Trace;
  if (level == NCCL_LOG_NONE || !logEnabled(braidLevel, "NET")) return;
  char text[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(text, sizeof text, fmt, args);
  va_end(args);
  logMessage(braidLevel, "NET", "plugin: %s (%s:%d)", text, file ? file : "?", line);
}

std::string libraryName(const std::string& setting) {
  return setting.find(".so") != std::string::npos ? setting : "libnccl-net-" + setting + ".so";
}

// The library path first, as NCCL searches; then the folder Braid itself was loaded from, where Braid's own
// plugins are installed.
void* openLibrary(const std::string& file) {
  void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  Dl_info self;
  if (!library && file.find('/') == std::string::npos && dladdr(reinterpret_cast<void*>(&openLibrary), &self) &&
      self.dli_fname) {
    std::string folder = self.dli_fname;
    folder.erase(folder.find_last_of('/') + 1);
    if (!folder.empty()) library = dlopen((folder + file).c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  return library;
}

std::shared_ptr<NetPlugin> load(const std::string& setting) {
  const std::string file = libraryName(setting);
  void* library = openLibrary(file);
  if (!library) {
    BRAID_WARN("NET", "network plugin %s not loaded (%s): using Braid's own transports", file.c_str(), dlerror());
    return nullptr;
  }
  auto* net = static_cast<ncclNet_v8_t*>(dlsym(library, "ncclNetPlugin_v8"));
  if (!net) {
    const bool older = dlsym(library, "ncclNetPlugin_v7") || dlsym(library, "ncclNetPlugin_v6");
    BRAID_WARN("NET", "network plugin %s has no ncclNetPlugin_v8 symbol%s: using Braid's own transports", file.c_str(),
               older ? " (it offers an older ABI version only)" : "");
    dlclose(library);
    return nullptr;
  }
  int devices = 0;
  ncclResult_t r = net->init(pluginLog);
  if (r == ncclSuccess) r = net->devices(&devices);
  if (r != ncclSuccess || devices < 1) {
    BRAID_WARN("NET", "network plugin %s (%s) %s: using Braid's own transports", file.c_str(), net->name,
               r != ncclSuccess ? "failed to initialize" : "has no devices");
    dlclose(library);
    return nullptr;
  }
  BRAID_INFO("NET", "loaded network plugin %s from %s (%d devices)", net->name, file.c_str(), devices);
  return std::make_shared<NetPlugin>(library, net);
}

class PluginPort : public MessagePort {
 public:
  PluginPort(std::shared_ptr<NetPlugin> plugin, void* comm, bool sending, int peer,
             std::shared_ptr<const PeerWatch> watch)
      : plugin_(std::move(plugin)),
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
    ncclNet_v8_t& net = plugin_->net();
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
    ncclNet_v8_t& net = plugin_->net();
    int size = static_cast<int>(bytes), tag = 0;
    void* data = s.data.get();
    ncclResult_t r = sending_ ? net.isend(comm_, data, size, tag, s.mhandle, &s.request)
                              : net.irecv(comm_, 1, &data, &size, &tag, &s.mhandle, &s.request);
    checkResult(r, sending_ ? "isend" : "irecv");
    return s.request != nullptr;
  }

  bool test(int index, size_t& bytes) override {
    Slot& s = slots_[index];
    int done = 0, size = 0;
    checkResult(plugin_->net().test(s.request, &done, &size), "test");
    if (!done) return false;
    s.request = nullptr;
    bytes = static_cast<size_t>(size);
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
  std::call_once(once, [] {
    if (auto setting = kNetPlugin.get(); setting && *setting != "none") plugin = load(*setting);
  });
  return plugin;
}

void NetPlugin::check(ncclResult_t result, const char* call) const {
  if (result != ncclSuccess)
    braid::fail(result == ncclRemoteError ? ncclRemoteError : ncclSystemError,
                std::string("network plugin ") + net_->name + ": " + call + " failed with NCCL result " +
                    std::to_string(static_cast<int>(result)));
}

std::unique_ptr<MessagePort> NetPlugin::sendPort(void* sendComm, int peer, std::shared_ptr<const PeerWatch> watch) {
  return std::make_unique<PluginPort>(shared_from_this(), sendComm, true, peer, std::move(watch));
}

std::unique_ptr<MessagePort> NetPlugin::recvPort(void* recvComm, int peer, std::shared_ptr<const PeerWatch> watch) {
  return std::make_unique<PluginPort>(shared_from_this(), recvComm, false, peer, std::move(watch));
}

}  // namespace braid
