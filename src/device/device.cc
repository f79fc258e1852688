#include "device/device.h"

#include <algorithm>
#include <cstring>

namespace braid::device {
namespace {

std::vector<Device*>& registry() {
  static std::vector<Device*> all;
  return all;
}

}  // namespace

Registration::Registration(Device& device) {
  std::vector<Device*>& all = registry();
  // The host first, whatever order the adaptors' files were initialized in.
  all.insert(std::strcmp(device.name(), "host") == 0 ? all.begin() : all.end(), &device);
}

const std::vector<Device*>& devices() { return registry(); }

Device& host() { return *registry().front(); }

Device* acceleratorOfPointer(const void* pointer) {
  if (!pointer) return nullptr;
  for (Device* d : registry())
    if (d != &host() && d->available() && d->ownsPointer(pointer)) return d;
  return nullptr;
}

Device* acceleratorOfStream(Stream stream) {
  if (!stream || host().ownsStream(stream)) return nullptr;
  for (Device* d : registry())
    if (d != &host() && d->available() && d->ownsStream(stream)) return d;
  return nullptr;
}

// Asked on every small collective: found once (a runtime's devices do not come and go in a process).
bool acceleratorsAvailable() {
  static const bool any = [] {
    const std::vector<Device*>& all = registry();
    return std::any_of(all.begin(), all.end(), [](Device* d) { return d != &host() && d->available(); });
  }();
  return any;
}

Device* firstAccelerator() {
  for (Device* d : registry())
    if (d != &host() && d->available()) return d;
  return nullptr;
}

int currentAcceleratorDevice() {
  Device* accelerator = firstAccelerator();
  return accelerator ? accelerator->currentDevice() : 0;
}

}  // namespace braid::device
