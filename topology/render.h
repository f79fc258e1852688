// Ways to show a topology: an indented tree, an nvidia-smi-like matrix of path classes, Graphviz DOT (link
// kinds as colours, bandwidths as labels) and JSON for scripts. The XML itself is writeXml().
#pragma once

#include <string>

#include "topology/graph.h"
#include "topology/paths.h"
#include "topology/xml_tree.h"

namespace braid::topo {

std::string renderText(const XmlElement& root, const Graph& graph);
std::string renderMatrix(const Graph& graph, const PathTable& paths);
std::string renderDot(const Graph& graph);
std::string renderJson(const Graph& graph, const PathTable& paths);

}  // namespace braid::topo
