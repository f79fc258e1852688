// Discovery of this host: hwloc for CPU packages, NUMA nodes, the PCI tree and OS devices; sysfs for PCIe
// link speed and width, NIC speeds and RDMA ports. Where a VM or container hides something, the result still
// forms a usable graph and says what was assumed (Graph::notes).
#pragma once

#include <string>

#include "topology/xml_tree.h"

namespace braid::topo {

// A <system> element for this host. `sysfsRoot` is where sysfs is mounted ("/sys"; tests pass fixtures).
XmlElement discoverHost(const std::string& sysfsRoot = "/sys");

// Adds what sysfs knows to the <net> and <pci> elements of `system`: link speed/width, NIC speed, RDMA port
// state, link layer and GID; adds RDMA devices that hwloc did not report.
void augmentFromSysfs(XmlElement& system, const std::string& sysfsRoot);

// The <net> named `name` in `system`; when there is none, a new <nic><net> under the first CPU (for NICs that
// hwloc did not place in the PCI tree), or null when the system has no CPU.
XmlElement* netNamed(XmlElement& system, const std::string& name);

// Accelerator vendors by PCI vendor id: "nvidia", "huawei", "cambricon", "metax", "mthreads", "hygon", or "".
std::string acceleratorVendor(unsigned pciVendorId);

}  // namespace braid::topo
