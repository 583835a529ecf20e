#include "hc/model/named_tensor_copy.h"

#include <set>

#include <torch/torch.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

namespace {

std::vector<std::string> mismatches(const std::vector<std::pair<std::string, at::Tensor>>& targets,
                                    const std::map<std::string, at::Tensor>& values) {
  std::vector<std::string> problems;
  std::set<std::string> known;
  for (const auto& [name, target] : targets) {
    known.insert(name);
    const auto found = values.find(name);
    if (found == values.end()) {
      problems.push_back("missing " + name);
    } else if (found->second.sizes() != target.sizes()) {
      problems.push_back(name + " is " + shape_text(found->second.sizes()) + ", expected " +
                         shape_text(target.sizes()));
    }
  }
  for (const auto& entry : values) {
    if (!known.count(entry.first)) problems.push_back("unknown " + entry.first);
  }
  return problems;
}

}  // namespace

void copy_named_tensors(const std::vector<std::pair<std::string, at::Tensor>>& targets,
                        const std::map<std::string, at::Tensor>& values, const std::string& what,
                        const std::string& source) {
  const std::vector<std::string> problems = mismatches(targets, values);
  if (!problems.empty()) {
    std::string text;
    for (std::size_t i = 0; i < problems.size() && i < 8; ++i) text += (i ? "; " : "") + problems[i];
    throw usage_error("{}: {} do not match ({} problems): {}", source, what, problems.size(), text);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    at::Tensor copy_target = target;
    copy_target.copy_(values.at(name));
  }
}

std::vector<std::pair<std::string, at::Tensor>> parameters_outside(const torch::nn::Module& module,
                                                                   const std::string& frozen) {
  const std::string prefix = frozen + ".";
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (const auto& item : module.named_parameters()) {
    if (item.key().rfind(prefix, 0) == 0) continue;
    params.emplace_back(item.key(), item.value());
  }
  return params;
}

}  // namespace hc
