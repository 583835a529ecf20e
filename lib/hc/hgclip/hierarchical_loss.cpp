#include "hc/hgclip/hierarchical_loss.h"

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

std::vector<at::Tensor> split_level_logits(const at::Tensor& logits,
                                           const std::vector<int64_t>& level_sizes) {
  int64_t total = 0;
  for (int64_t size : level_sizes) total += size;
  if (logits.dim() != 2 || logits.size(1) != total) {
    throw usage_error("level logits: [batch, {}] expected, got {}", total,
                      shape_text(logits.sizes()));
  }
  std::vector<at::Tensor> levels;
  int64_t start = 0;
  for (int64_t size : level_sizes) {
    levels.push_back(logits.slice(1, start, start + size));
    start += size;
  }
  return levels;
}

std::vector<double> official_level_weights(int64_t levels) {
  std::vector<double> weights(static_cast<std::size_t>(levels), 1.0);
  if (levels > 0) weights.back() = 2.0;
  return weights;
}

HierarchicalLoss hierarchical_loss(const std::vector<at::Tensor>& level_logits,
                                   const std::vector<at::Tensor>& labels,
                                   std::vector<double> weights) {
  const auto levels = static_cast<int64_t>(level_logits.size());
  if (levels == 0 || labels.size() != level_logits.size()) {
    throw usage_error("hierarchical loss: {} levels of logits and {} of labels", levels,
                      labels.size());
  }
  if (weights.empty()) weights = official_level_weights(levels);
  if (static_cast<int64_t>(weights.size()) != levels) {
    throw usage_error("hierarchical loss: {} level weights for {} levels", weights.size(), levels);
  }
  HierarchicalLoss out;
  for (int64_t l = 0; l < levels; ++l) {
    const at::Tensor& logits = level_logits[l];
    at::Tensor target = labels[l].to(logits.device(), at::kLong);
    if (target.dim() != 1 || target.size(0) != logits.size(0)) {
      throw usage_error("hierarchical loss: level {} has {} labels for {} rows of logits", l,
                        target.numel(), logits.size(0));
    }
    if (target.numel() > 0 &&
        (target.min().item<int64_t>() < 0 || target.max().item<int64_t>() >= logits.size(1))) {
      throw usage_error("hierarchical loss: level {} labels must lie in [0, {})", l,
                        logits.size(1));
    }
    out.per_level.push_back(at::cross_entropy_loss(logits, target));
    at::Tensor term = out.per_level.back() * weights[l];
    out.loss = out.loss.defined() ? out.loss + term : term;
  }
  out.loss = out.loss / static_cast<double>(levels);
  return out;
}

}  // namespace hc
