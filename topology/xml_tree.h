// A topology file as an ordered element tree: tags, attributes in file order, children, and the line each
// element started on (for error messages). Braid writes it back canonically, so its own output round-trips
// byte-for-byte and attributes Braid does not interpret (from NCCL dumps) survive.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace braid::topo {

struct XmlElement {
  std::string tag;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<XmlElement> children;
  int line = 0;

  const std::string* find(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback = "") const;
  void set(const std::string& name, const std::string& value);  // replaces or appends
  XmlElement& add(const std::string& tag);                      // appends a child
};

// Parses XML text; throws TopologyError("file:line: what") on malformed XML.
XmlElement parseXml(const std::string& text, const std::string& fileName);
XmlElement loadXmlFile(const std::string& path);
std::string readTextFile(const std::string& path);  // throws TopologyError("path: cannot open ...")
std::string writeXml(const XmlElement& root);       // two-space indentation, attributes in stored order

// A malformed or inconsistent topology: the message starts with "file:line: ".
struct TopologyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void failAt(const std::string& fileName, int line, const std::string& what);

}  // namespace braid::topo
