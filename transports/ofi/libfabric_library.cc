#include "transports/ofi/libfabric_library.h"

#include <dlfcn.h>

#include <mutex>
#include <type_traits>

namespace braid {

const LibFabric* libfabric(std::string* why) {
  static std::once_flag once;
  static LibFabric library;
  static const LibFabric* loaded = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    void* handle = dlopen("libfabric.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      failure = dlerror();
      return;
    }
    // The symbol versions the headers Braid was built with describe (fi_info's layout changed across them).
    auto get = [&](auto& function, const char* name, const char* version) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlvsym(handle, name, version));
      if (!function && failure.empty()) failure = std::string(name) + "@" + version + " is missing";
    };
    get(library.getinfo, "fi_getinfo", "FABRIC_1.3");
    get(library.freeinfo, "fi_freeinfo", "FABRIC_1.3");
    get(library.dupinfo, "fi_dupinfo", "FABRIC_1.3");
    get(library.fabric, "fi_fabric", "FABRIC_1.1");
    get(library.strerror, "fi_strerror", "FABRIC_1.0");
    if (failure.empty()) loaded = &library;  // kept open for the process's lifetime
  });
  if (!loaded && why) *why = "libfabric.so.1: " + failure;
  return loaded;
}

}  // namespace braid
