// HGCLIP's label graph: parent -> child edges in chain order, self-loops last, and the official
// duplicated upper links of hierarchies built from three-level hierarchy-file lines.

#include <catch2/catch.hpp>

#include <vector>

#include "hc/core/error.h"
#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/label_graph.h"

TEST_CASE("label graph: two levels, DGL's edge order", "[hgclip][graph]") {
  // CIFAR-100 style: edge fine2coarse[f] -> f + #coarse for every fine class in id order.
  hc::ClassHierarchy h = hc::class_hierarchy_from_parents({"a", "b"}, {"x", "y", "z"}, {1, 0, 1},
                                                          "map");
  hc::LabelGraph g = hc::build_label_graph(h, hc::DuplicateEdges::Remove);
  CHECK(g.num_nodes == 5);
  CHECK(g.src == std::vector<int64_t>{1, 0, 1, 0, 1, 2, 3, 4});
  CHECK(g.dst == std::vector<int64_t>{2, 3, 4, 0, 1, 2, 3, 4});
  CHECK(g.in_degrees() == std::vector<int64_t>{1, 1, 2, 2, 2});
  CHECK(hc::build_label_graph(h, hc::DuplicateEdges::Keep).src == g.src);
  hc::LabelGraph r = g.reversed();
  CHECK(r.src == g.dst);
  CHECK(r.in_degrees() == std::vector<int64_t>{2, 3, 1, 1, 1});
}

TEST_CASE("label graph: three-level files repeat upper links unless removed", "[hgclip][graph]") {
  hc::ClassHierarchy h = hc::parse_class_hierarchy(
      "rooster, birds, animals\nemu, birds, animals\nfan, items, objects\n", "h.txt");
  // Nodes: animals 0, objects 1 | birds 2, items 3 | rooster 4, emu 5, fan 6.
  hc::LabelGraph keep = hc::build_label_graph(h, hc::DuplicateEdges::Keep);
  CHECK(keep.src == std::vector<int64_t>{0, 2, 0, 2, 1, 3, 0, 1, 2, 3, 4, 5, 6});
  CHECK(keep.dst == std::vector<int64_t>{2, 4, 2, 5, 3, 6, 0, 1, 2, 3, 4, 5, 6});
  CHECK(keep.in_degrees()[2] == 3);  // animals -> birds twice, plus the self-loop
  hc::LabelGraph once = hc::build_label_graph(h, hc::DuplicateEdges::Remove);
  CHECK(once.src == std::vector<int64_t>{0, 2, 2, 1, 3, 0, 1, 2, 3, 4, 5, 6});
  CHECK(once.dst == std::vector<int64_t>{2, 4, 5, 3, 6, 0, 1, 2, 3, 4, 5, 6});
  CHECK(hc::parse_duplicate_edges("keep") == hc::DuplicateEdges::Keep);
  CHECK_THROWS_AS(hc::parse_duplicate_edges("merge"), hc::Error);
}
