#pragma once
// HGCLIP's training loss (main.py): the logits over all classes (levels concatenated, most
// general first) are split by level, each level gets nn.CrossEntropyLoss() (mean over the
// batch), and
//   loss = sum over levels of w_l * CE_l / L
// with the official weights w = 1 for every level but the finest, 2 for the finest: CIFAR-100's
// (CE_coarse + 2 CE_fine) / 2, Caltech-101's (CE_1 + CE_2 + 2 CE_3) / 3, ETHEC's four levels.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

// logits [B, sum of sizes] -> one [B, size] view per level.
std::vector<at::Tensor> split_level_logits(const at::Tensor& logits,
                                           const std::vector<int64_t>& level_sizes);

// The official weights for `levels` levels: 1, ..., 1, 2.
std::vector<double> official_level_weights(int64_t levels);

struct HierarchicalLoss {
  at::Tensor loss;                   // 0-dim
  std::vector<at::Tensor> per_level; // CE_l, 0-dim each
};

// level_logits [B, size_l] and labels [B] (class index within the level) per level; weights:
// one per level (empty = official_level_weights). Labels out of range are a usage hc::Error.
HierarchicalLoss hierarchical_loss(const std::vector<at::Tensor>& level_logits,
                                   const std::vector<at::Tensor>& labels,
                                   std::vector<double> weights = {});

}  // namespace hc
