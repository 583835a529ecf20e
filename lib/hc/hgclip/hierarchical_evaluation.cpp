#include "hc/hgclip/hierarchical_evaluation.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

HierarchicalEvaluator::HierarchicalEvaluator(ClassHierarchy hierarchy, int64_t top_k)
    : hierarchy_(std::move(hierarchy)), top_k_(top_k) {
  if (top_k_ < 1) throw usage_error("evaluation: top-k {} must be at least 1", top_k_);
  const int64_t levels = hierarchy_.num_levels();
  top1_.assign(levels, 0);
  topk_.assign(levels, 0);
  pair_consistent_.assign(std::max<int64_t>(levels - 1, 0), 0);
  for (int64_t l = 0; l < levels; ++l) {
    class_images_.emplace_back(hierarchy_.level_size(l), 0);
    class_correct_.emplace_back(hierarchy_.level_size(l), 0);
    std::vector<int64_t> parents;
    for (int64_t c = 0; l > 0 && c < hierarchy_.level_size(l); ++c) {
      parents.push_back(hierarchy_.parent(l, c));
    }
    parent_of_.push_back(at::tensor(parents, at::kLong));
  }
}

void HierarchicalEvaluator::add(const std::vector<at::Tensor>& level_logits,
                                const at::Tensor& classes) {
  const int64_t levels = hierarchy_.num_levels();
  if (static_cast<int64_t>(level_logits.size()) != levels || classes.dim() != 2 ||
      classes.size(1) != levels) {
    throw usage_error("evaluation: expected {} logit tensors and classes [B, {}], got {} and {}",
                      levels, levels, level_logits.size(), shape_text(classes.sizes()));
  }
  const int64_t batch = classes.size(0);
  const at::Tensor truth = classes.to(at::kCPU, at::kLong);
  std::vector<at::Tensor> predicted;
  at::Tensor all_right = at::ones({batch}, at::kBool);
  for (int64_t l = 0; l < levels; ++l) {
    const at::Tensor& logits = level_logits[l];
    if (logits.dim() != 2 || logits.size(0) != batch || logits.size(1) != hierarchy_.level_size(l)) {
      throw usage_error("evaluation: level '{}' logits must be [{}, {}], got {}",
                        hierarchy_.levels()[l].name, batch, hierarchy_.level_size(l),
                        shape_text(logits.sizes()));
    }
    const int64_t k = std::min(top_k_, hierarchy_.level_size(l));
    const at::Tensor top = std::get<1>(logits.detach().to(at::kCPU, at::kFloat).topk(k, 1));
    const at::Tensor target = truth.select(1, l);
    const at::Tensor hits = top.eq(target.unsqueeze(1));
    const at::Tensor right = hits.select(1, 0);
    top1_[l] += right.sum().item<int64_t>();
    topk_[l] += hits.any(1).sum().item<int64_t>();
    all_right &= right;
    const auto t = target.accessor<int64_t, 1>();
    const auto r = right.accessor<bool, 1>();
    for (int64_t b = 0; b < batch; ++b) {
      if (t[b] < 0 || t[b] >= hierarchy_.level_size(l)) {
        throw usage_error("evaluation: class {} out of range for level '{}'", t[b],
                          hierarchy_.levels()[l].name);
      }
      ++class_images_[l][t[b]];
      class_correct_[l][t[b]] += r[b] ? 1 : 0;
    }
    predicted.push_back(top.select(1, 0).contiguous());
  }
  at::Tensor path = at::ones({batch}, at::kBool);
  for (int64_t l = 1; l < levels; ++l) {
    const at::Tensor under = parent_of_[l].index_select(0, predicted[l]).eq(predicted[l - 1]);
    pair_consistent_[l - 1] += under.sum().item<int64_t>();
    path &= under;
  }
  path_consistent_ += path.sum().item<int64_t>();
  all_correct_ += all_right.sum().item<int64_t>();
  images_ += batch;
}

nlohmann::ordered_json HierarchicalEvaluator::to_json() const {
  using Json = nlohmann::ordered_json;
  auto fraction = [&](int64_t count) -> Json {
    if (images_ == 0) return nullptr;
    return static_cast<double>(count) / static_cast<double>(images_);
  };
  Json levels = Json::object();
  for (int64_t l = 0; l < hierarchy_.num_levels(); ++l) {
    Json per_class = Json::object();
    double sum = 0.0;
    int64_t counted = 0;
    for (int64_t c = 0; c < hierarchy_.level_size(l); ++c) {
      const int64_t n = class_images_[l][c];
      Json accuracy = nullptr;
      if (n > 0) {
        const double a = static_cast<double>(class_correct_[l][c]) / static_cast<double>(n);
        accuracy = a;
        sum += a;
        ++counted;
      }
      per_class[hierarchy_.levels()[l].classes[c]] = {
          {"images", n}, {"correct", class_correct_[l][c]}, {"accuracy", accuracy}};
    }
    levels[hierarchy_.levels()[l].name] = {
        {"classes", hierarchy_.level_size(l)},
        {"top1", fraction(top1_[l])},
        {"top" + std::to_string(top_k_), fraction(topk_[l])},
        {"mean_per_class_accuracy", counted > 0 ? Json(sum / counted) : Json(nullptr)},
        {"per_class", std::move(per_class)}};
  }
  Json consistency = Json::object();
  consistency["path"] = fraction(path_consistent_);
  for (int64_t l = 1; l < hierarchy_.num_levels(); ++l) {
    consistency[hierarchy_.levels()[l - 1].name + "/" + hierarchy_.levels()[l].name] =
        fraction(pair_consistent_[l - 1]);
  }
  return {{"images", images_},
          {"levels", std::move(levels)},
          {"consistency", std::move(consistency)},
          {"all_levels_correct", fraction(all_correct_)}};
}

}  // namespace hc
