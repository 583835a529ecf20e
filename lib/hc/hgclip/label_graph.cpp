#include "hc/hgclip/label_graph.h"

#include <set>
#include <utility>

#include "hc/core/error.h"

namespace hc {

DuplicateEdges parse_duplicate_edges(const std::string& text) {
  if (text == "remove") return DuplicateEdges::Remove;
  if (text == "keep") return DuplicateEdges::Keep;
  throw usage_error("duplicate edges '{}': expected 'remove' or 'keep'", text);
}

std::vector<int64_t> LabelGraph::in_degrees() const {
  std::vector<int64_t> degrees(static_cast<std::size_t>(num_nodes), 0);
  for (int64_t node : dst) ++degrees[static_cast<std::size_t>(node)];
  return degrees;
}

LabelGraph LabelGraph::reversed() const {
  LabelGraph graph = *this;
  std::swap(graph.src, graph.dst);
  return graph;
}

LabelGraph build_label_graph(const ClassHierarchy& hierarchy, DuplicateEdges duplicates) {
  LabelGraph graph;
  graph.num_nodes = hierarchy.num_classes();
  std::set<std::pair<int64_t, int64_t>> seen;
  for (const auto& chain : hierarchy.chains()) {
    for (int64_t level = 1; level < hierarchy.num_levels(); ++level) {
      const int64_t parent = hierarchy.offset(level - 1) + chain[level - 1];
      const int64_t child = hierarchy.offset(level) + chain[level];
      if (duplicates == DuplicateEdges::Remove && !seen.emplace(parent, child).second) continue;
      graph.src.push_back(parent);
      graph.dst.push_back(child);
    }
  }
  for (int64_t node = 0; node < graph.num_nodes; ++node) {
    graph.src.push_back(node);
    graph.dst.push_back(node);
  }
  return graph;
}

}  // namespace hc
