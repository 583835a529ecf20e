#include "hc/hgclip/class_prototypes.h"

#include <vector>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

EmptyClassRule parse_empty_class_rule(const std::string& text) {
  if (text == "copy_previous") return EmptyClassRule::CopyPrevious;
  if (text == "error") return EmptyClassRule::Error;
  throw usage_error("empty class rule '{}': expected 'copy_previous' or 'error'", text);
}

at::Tensor class_prototypes(const at::Tensor& features, const at::Tensor& nodes,
                            int64_t num_nodes, EmptyClassRule rule) {
  if (features.dim() != 2 || nodes.dim() != 2 || nodes.size(0) != features.size(0)) {
    throw usage_error("class prototypes: features [M, D] and nodes [M, levels] expected, got {} "
                      "and {}",
                      shape_text(features.sizes()), shape_text(nodes.sizes()));
  }
  at::Tensor index = nodes.to(features.device(), at::kLong).reshape({-1});
  if (index.numel() > 0 &&
      (index.min().item<int64_t>() < 0 || index.max().item<int64_t>() >= num_nodes)) {
    throw usage_error("class prototypes: node indices must lie in [0, {})", num_nodes);
  }
  // Row m of features counts once for each of its L nodes.
  at::Tensor rows = features.repeat_interleave(nodes.size(1), 0);
  at::Tensor sums = at::zeros({num_nodes, features.size(1)}, features.options())
                        .index_add(0, index, rows);
  at::Tensor counts = at::bincount(index.cpu(), {}, num_nodes);
  const auto count = counts.accessor<int64_t, 1>();
  std::vector<int64_t> source(static_cast<std::size_t>(num_nodes));
  for (int64_t i = 0; i < num_nodes; ++i) {
    source[i] = i;
    if (count[i] > 0) continue;
    if (rule == EmptyClassRule::Error) {
      throw usage_error("class prototypes: class node {} has no image", i);
    }
    if (i == 0 || count[i - 1] == 0) {
      throw usage_error("class prototypes: class node {} has no image and {} to copy from", i,
                        i == 0 ? "no previous class" : "neither has the previous class");
    }
    source[i] = i - 1;
  }
  at::Tensor from = at::tensor(source, at::TensorOptions().dtype(at::kLong));
  at::Tensor divisor = counts.index_select(0, from).to(features.device(), features.scalar_type());
  return sums.index_select(0, from.to(features.device())) / divisor.unsqueeze(1);
}

}  // namespace hc
