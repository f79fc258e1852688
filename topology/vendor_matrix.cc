#include "topology/vendor_matrix.h"

#include <regex>
#include <sstream>

namespace braid::topo {
namespace {

bool isAccelerator(const std::string& token) {
  static const std::regex pattern("(GPU|NPU|MLU|DCU|MXC|MTT)[0-9]+", std::regex::icase);
  return std::regex_match(token, pattern);
}

std::vector<std::string> tokens(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// A label's vendor link: type and link count; empty type when the label is not a vendor link.
std::pair<std::string, int> vendorLink(const std::string& label) {
  static const std::regex counted("(NV|MX|XGMI)([0-9]+)", std::regex::icase);
  std::smatch m;
  if (std::regex_match(label, m, counted)) {
    std::string kind = m[1].str();
    int count = std::stoi(m[2].str());
    if (kind == "NV" || kind == "nv") return {"nvlink", count};
    if (kind == "MX" || kind == "mx") return {"metaxlink", count};
    return {"xgmi", count};
  }
  if (label == "HCCS") return {"hccs", 1};
  if (label == "MX" || label == "MXL" || label == "METAXLINK") return {"metaxlink", 1};
  if (label == "MLU" || label == "MLULINK") return {"mlulink", 1};
  if (label == "MTL" || label == "MTLINK") return {"mtlink", 1};
  if (label == "XGMI") return {"xgmi", 1};
  return {"", 0};
}

void collectAccelerators(XmlElement& e, std::vector<XmlElement*>& out, std::vector<std::string>& busIds,
                         const std::string& parentBus) {
  if (e.tag == "gpu" || e.tag == "accel") {
    out.push_back(&e);
    busIds.push_back(parentBus);
  }
  for (XmlElement& c : e.children) collectAccelerators(c, out, busIds, e.tag == "pci" ? e.get("busid") : parentBus);
}

}  // namespace

VendorMatrix parseVendorMatrix(const std::string& text, const std::string& fileName) {
  VendorMatrix m;
  std::istringstream in(text);
  std::string line;
  int lineNumber = 0, header = 0;
  std::vector<std::string> columns;
  while (std::getline(in, line)) {
    ++lineNumber;
    // ANSI escapes and tabs from terminal captures do not matter.
    line = std::regex_replace(line, std::regex("\x1b\\[[0-9;]*m"), "");
    std::vector<std::string> t = tokens(line);
    if (t.empty()) {
      if (!columns.empty() && !m.devices.empty()) break;  // the matrix ends at the first blank line after it
      continue;
    }
    if (columns.empty()) {
      if (isAccelerator(t.front())) {  // header: device names (then NICs, "CPU Affinity", ...)
        for (const std::string& tok : t) {
          if (!isAccelerator(tok)) break;
          columns.push_back(tok);
        }
        header = lineNumber;
      }
      continue;
    }
    if (!isAccelerator(t.front())) {
      if (!m.devices.empty()) break;
      continue;
    }
    if (t.size() < columns.size() + 1)
      failAt(fileName, lineNumber,
             "row " + t.front() + " has " + std::to_string(t.size() - 1) + " columns, header (line " +
                 std::to_string(header) + ") has " + std::to_string(columns.size()));
    m.devices.push_back(t.front());
    m.labels.emplace_back(t.begin() + 1, t.begin() + 1 + static_cast<long>(columns.size()));
  }
  if (m.devices.empty()) failAt(fileName, lineNumber, "no device matrix found");
  if (m.devices.size() != columns.size())
    failAt(fileName, header,
           std::to_string(columns.size()) + " columns but " + std::to_string(m.devices.size()) + " rows");
  return m;
}

void applyVendorMatrix(XmlElement& system, const VendorMatrix& matrix, const std::string& fileName) {
  std::vector<XmlElement*> accelerators;
  std::vector<std::string> busIds;
  collectAccelerators(system, accelerators, busIds, "");
  if (accelerators.size() != matrix.devices.size())
    throw TopologyError(fileName + ": the matrix has " + std::to_string(matrix.devices.size()) +
                        " devices but the topology " + std::to_string(accelerators.size()));
  for (size_t i = 0; i < matrix.devices.size(); ++i)
    for (size_t j = i + 1; j < matrix.devices.size(); ++j) {
      auto [type, count] = vendorLink(matrix.labels[i][j]);
      if (type.empty()) continue;
      XmlElement& link = accelerators[i]->add(type == "nvlink" ? "nvlink" : "link");
      link.set("target", busIds[j]);
      if (type != "nvlink") link.set("type", type);
      link.set("count", std::to_string(count));
    }
}

}  // namespace braid::topo
