#include "topology/xml_tree.h"

#include <pugixml.hpp>

#include <algorithm>
#include <sstream>

#include "base/bounded_file.h"

namespace braid::topo {

const std::string* XmlElement::find(const std::string& name) const {
  for (const auto& [key, value] : attributes)
    if (key == name) return &value;
  return nullptr;
}

std::string XmlElement::get(const std::string& name, const std::string& fallback) const {
  const std::string* v = find(name);
  return v ? *v : fallback;
}

void XmlElement::set(const std::string& name, const std::string& value) {
  for (auto& [key, v] : attributes)
    if (key == name) {
      v = value;
      return;
    }
  attributes.emplace_back(name, value);
}

XmlElement& XmlElement::add(const std::string& childTag) {
  children.push_back(XmlElement{childTag, {}, {}, 0});
  return children.back();
}

void failAt(const std::string& fileName, int line, const std::string& what) {
  throw TopologyError(fileName + ":" + std::to_string(line) + ": " + what);
}

namespace {

int lineOf(const std::string& text, ptrdiff_t offset) {
  if (offset < 0) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + std::min<ptrdiff_t>(offset, text.size()), '\n'));
}

// A topology is a few levels deep (system, cpu, pci bridges, device); a limit keeps a hostile or runaway file from
// exhausting the stack here, in the checks and in the writer, all of which recurse.
constexpr int kMaxXmlDepth = 64;

XmlElement convert(const pugi::xml_node& node, const std::string& text, const std::string& fileName, int depth) {
  XmlElement e{node.name(), {}, {}, lineOf(text, node.offset_debug())};
  if (depth > kMaxXmlDepth)
    failAt(fileName, e.line, "elements nested deeper than " + std::to_string(kMaxXmlDepth) + " levels");
  for (const pugi::xml_attribute& a : node.attributes()) e.attributes.emplace_back(a.name(), a.value());
  for (const pugi::xml_node& child : node.children())
    if (child.type() == pugi::node_element) e.children.push_back(convert(child, text, fileName, depth + 1));
  return e;
}

void escape(std::ostringstream& out, const std::string& value) {
  for (char c : value) {
    switch (c) {
      case '&': out << "&amp;"; break;
      case '<': out << "&lt;"; break;
      case '>': out << "&gt;"; break;
      case '"': out << "&quot;"; break;
      default: out << c;
    }
  }
}

void write(std::ostringstream& out, const XmlElement& e, int depth) {
  out << std::string(static_cast<size_t>(depth) * 2, ' ') << '<' << e.tag;
  for (const auto& [key, value] : e.attributes) {
    out << ' ' << key << "=\"";
    escape(out, value);
    out << '"';
  }
  if (e.children.empty()) {
    out << "/>\n";
    return;
  }
  out << ">\n";
  for (const XmlElement& child : e.children) write(out, child, depth + 1);
  out << std::string(static_cast<size_t>(depth) * 2, ' ') << "</" << e.tag << ">\n";
}

}  // namespace

XmlElement parseXml(const std::string& text, const std::string& fileName) {
  pugi::xml_document doc;
  pugi::xml_parse_result result = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) failAt(fileName, lineOf(text, result.offset), std::string("malformed XML: ") + result.description());
  pugi::xml_node root = doc.document_element();
  if (!root) failAt(fileName, 1, "no root element");
  return convert(root, text, fileName, 1);
}

std::string readTextFile(const std::string& path) {
  std::string text;
  const std::string why = readBoundedFile(path, &text);
  if (!why.empty()) throw TopologyError(path + ": " + why);
  return text;
}

XmlElement loadXmlFile(const std::string& path) { return parseXml(readTextFile(path), path); }

std::string writeXml(const XmlElement& root) {
  std::ostringstream out;
  write(out, root, 0);
  return out.str();
}

}  // namespace braid::topo
