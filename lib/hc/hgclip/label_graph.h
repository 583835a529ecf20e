#pragma once
// HGCLIP's label graph: one node per class of every level (levels concatenated, most general
// first: ClassHierarchy::all_classes() order), a directed edge parent -> child for every link of
// the hierarchy, then one self-loop per node. Edges are listed as DGL stores them for the
// official code's `dgl.add_self_loop(dgl.graph((u, v)))`: the hierarchy edges in the order
// given, duplicates kept, then the self-loops 0..N-1. Graph attention aggregates over in-edges,
// so a class attends to its parent and itself, a most general class only to itself.
// Torch-free.
#include <cstdint>
#include <string>
#include <vector>

#include "hc/data/class_hierarchy.h"

namespace hc {

// The official code adds the edges of every chain of a hierarchy file line by line: in a
// hierarchy of three or more levels, a link above the finest level is repeated once per finest
// class below it, and DGL keeps the copies, which weigh in the attention softmax (a multigraph).
enum class DuplicateEdges {
  Remove,  // each parent -> child link once (hc's default)
  Keep,    // one copy per chain, as the official code builds it
};
DuplicateEdges parse_duplicate_edges(const std::string& text);  // "remove" or "keep"

struct LabelGraph {
  int64_t num_nodes = 0;
  std::vector<int64_t> src;  // [E]
  std::vector<int64_t> dst;  // [E]

  int64_t num_edges() const { return static_cast<int64_t>(src.size()); }
  std::vector<int64_t> in_degrees() const;
  // The same graph with every edge turned around (child -> parent): for tests and ablations.
  LabelGraph reversed() const;
};

// For each chain of the hierarchy (source order) the links level 0 -> 1, 1 -> 2, ... in that
// order (the official order for hierarchy files and CIFAR-100's fine -> coarse map), then the
// self-loops.
LabelGraph build_label_graph(const ClassHierarchy& hierarchy, DuplicateEdges duplicates);

}  // namespace hc
