#include "base/plugin_library.h"

#include <dlfcn.h>

namespace braid {

void* openPluginLibrary(const std::string& file) {
  void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  Dl_info self;
  if (!library && file.find('/') == std::string::npos && dladdr(reinterpret_cast<void*>(&openPluginLibrary), &self) &&
      self.dli_fname) {
    std::string folder = self.dli_fname;
    folder.erase(folder.find_last_of('/') + 1);
    if (!folder.empty()) library = dlopen((folder + file).c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  return library;
}

}  // namespace braid
