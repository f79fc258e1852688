// libFuzzer target: any bytes given as a topology file are parsed, checked, turned into a graph with paths and
// rendered, or rejected with a TopologyError; never a crash, hang or out-of-bounds access.
#include <cstddef>
#include <cstdint>
#include <string>

#include "topology/graph.h"
#include "topology/paths.h"
#include "topology/render.h"
#include "topology/xml_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;  // topology files are small; keep each run fast
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    braid::topo::XmlElement root = braid::topo::parseXml(text, "fuzz.xml");
    braid::topo::Graph graph = braid::topo::buildGraph(root, "fuzz.xml");
    if (graph.nodes.size() > 512) return 0;
    braid::topo::PathTable paths(graph);
    (void)braid::topo::renderMatrix(graph, paths);
    (void)braid::topo::renderDot(graph);
    (void)braid::topo::writeXml(root);
  } catch (const braid::topo::TopologyError&) {
  }
  return 0;
}
