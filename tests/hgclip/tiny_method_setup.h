#pragma once
// What the method tests build their classifiers on: the tiny fixture CLIP (3 layers, 16 wide)
// and a small two-level hierarchy of shapes.
#include <torch/torch.h>

#include "hc/data/class_hierarchy.h"
#include "hc/model/clip_bundle.h"
#include "test_support.h"

namespace hc::test {

inline hc::ClipBundle fixture_clip() {
  return hc::open_clip_bundle(shared_path("fixtures/hgclip/model").string(), torch::kCPU,
                              torch::kFloat);
}

inline hc::ClassHierarchy shapes() {
  return hc::parse_class_hierarchy("red_circle, circle\nblue_circle, circle\nred_square, square\n",
                                   "shapes");
}

}  // namespace hc::test
