#include "hc/eval/two_label_prompts.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/text/prompt_templates.h"

namespace hc {

void check_two_label_template(const std::string& tmpl, const std::string& where) {
  const std::size_t fields = template_fields(tmpl, where);
  if (fields != 2) {
    throw usage_error("{}: '{}' fills {} field{}, expected 2 (the general label, then the specific)",
                      where, tmpl, fields, fields == 1 ? "" : "s");
  }
}

std::vector<std::string> two_label_prompts(const std::string& tmpl,
                                           const std::vector<std::string>& labels) {
  std::vector<std::string> prompts;
  prompts.reserve(labels.size() * (labels.size() > 0 ? labels.size() - 1 : 0));
  for (std::size_t x = 0; x < labels.size(); ++x) {
    for (std::size_t y = 0; y < labels.size(); ++y) {
      if (x != y) prompts.push_back(fill_template(tmpl, {labels[x], labels[y]}));
    }
  }
  return prompts;
}

int64_t ordered_pair_position(int64_t x, int64_t y, int64_t labels) {
  return x * (labels - 1) + (y < x ? y : y - 1);
}

at::Tensor prompts_above_truth(const at::Tensor& images, const at::Tensor& prompts,
                               const at::Tensor& truth, int64_t batch_elements) {
  if (images.dim() != 2 || prompts.dim() != 2 || images.size(1) != prompts.size(1) ||
      truth.dim() != 1 || truth.size(0) != images.size(0)) {
    throw runtime_error("single-prompt scores: expected images [N, D], prompts [P, D] and N "
                        "ground-truth positions, got [{}], [{}] and [{}]",
                        fmt::join(images.sizes(), ", "), fmt::join(prompts.sizes(), ", "),
                        fmt::join(truth.sizes(), ", "));
  }
  const int64_t n = images.size(0), p = prompts.size(0);
  const at::ScalarType type = images.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const at::Tensor text = prompts.to(images.device(), type);
  const at::Tensor positions = truth.to(images.device(), at::kLong);
  at::Tensor above = at::empty({n}, at::TensorOptions().dtype(at::kLong).device(images.device()));
  const int64_t rows = std::max<int64_t>(1, batch_elements / std::max<int64_t>(1, p));
  for (int64_t start = 0; start < n; start += rows) {
    const int64_t b = std::min(rows, n - start);
    const at::Tensor similarity = at::matmul(images.narrow(0, start, b).to(type), text.t());  // [B, P]
    const at::Tensor own = similarity.gather(1, positions.narrow(0, start, b).unsqueeze(1));
    above.narrow(0, start, b).copy_((similarity > own).sum(1));
  }
  return above.cpu();
}

}  // namespace hc
