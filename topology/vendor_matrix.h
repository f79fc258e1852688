// Link matrices printed by vendor tools (`nvidia-smi topo -m`, `npu-smi info -t topo`, `mx-smi topo -m`, and
// the like): a header row of device names, one row per device with a label per column. Labels naming vendor
// links (NV<n>, HCCS, MXL/MX<n>, MLU, MTL, XGMI) become links between the accelerators of a topology; PCIe and
// CPU labels (PIX, PXB, PHB, NODE, SYS) are left to the PCI tree.
#pragma once

#include <string>
#include <vector>

#include "topology/xml_tree.h"

namespace braid::topo {

struct VendorMatrix {
  std::vector<std::string> devices;              // accelerator rows, in order
  std::vector<std::vector<std::string>> labels;  // labels[i][j] between devices i and j
};

VendorMatrix parseVendorMatrix(const std::string& text, const std::string& fileName);

// Adds the vendor links of `matrix` to the accelerators of `system` (the i-th <gpu>/<accel> in document order is
// matrix device i). Throws TopologyError when the counts differ.
void applyVendorMatrix(XmlElement& system, const VendorMatrix& matrix, const std::string& fileName);

}  // namespace braid::topo
