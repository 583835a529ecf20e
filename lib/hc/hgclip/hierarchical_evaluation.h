#pragma once
// Evaluation of a hierarchical classifier (HGCLIP, its baselines, zero-shot CLIP): per level
// top-1 and top-5 accuracy and per-class accuracy (and their mean, the balanced accuracy), and
// hierarchical consistency: the share of images whose predicted classes form a path of the
// hierarchy (each level's top-1 class lies under the level above's top-1 class; for two levels,
// the predicted fine class lies under the predicted coarse class), per adjacent pair of levels
// and over the whole path. Also the share of images right at every level. Every image added is
// counted (no batch is dropped).
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "hc/data/class_hierarchy.h"

namespace hc {

class HierarchicalEvaluator {
 public:
  // top_k: the second accuracy (5); a level with fewer classes counts top-min(k, size).
  explicit HierarchicalEvaluator(ClassHierarchy hierarchy, int64_t top_k = 5);

  // level_logits: one [B, K_l] score tensor per level (hierarchy order, any device and dtype);
  // classes: [B, L] int64 true class per level. Shapes that do not fit the hierarchy are a usage
  // hc::Error.
  void add(const std::vector<at::Tensor>& level_logits, const at::Tensor& classes);

  int64_t images() const { return images_; }

  // {"images", "levels": {<name>: {"classes", "top1", "top5", "mean_per_class_accuracy",
  //  "per_class": {<class>: {"images", "correct", "accuracy"}}}},
  //  "consistency": {"path", "<upper>/<lower>": ...}, "all_levels_correct"}.
  // Accuracies are fractions in [0, 1]; a class without test images has accuracy null and is
  // left out of the mean.
  nlohmann::ordered_json to_json() const;

 private:
  ClassHierarchy hierarchy_;
  int64_t top_k_;
  int64_t images_ = 0;
  std::vector<int64_t> top1_;                     // per level
  std::vector<int64_t> topk_;                     // per level
  std::vector<std::vector<int64_t>> class_images_;   // [level][class]
  std::vector<std::vector<int64_t>> class_correct_;  // [level][class]
  std::vector<int64_t> pair_consistent_;          // per adjacent pair (level l-1, l)
  int64_t path_consistent_ = 0;
  int64_t all_correct_ = 0;
  std::vector<at::Tensor> parent_of_;             // per level >= 1: [K_l] parent index
};

}  // namespace hc
