#include "hc/train/optimizer_options.h"

#include <regex>

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include "hc/core/config.h"
#include "hc/core/error.h"

namespace hc {
namespace {

std::regex compile(const std::string& expression, std::size_t index) {
  try {
    return std::regex(expression, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw usage_error("optimizer.groups[{}].match '{}': not a regular expression ({})", index,
                      expression, e.what());
  }
}

// The tensors of each group: [0] the default one, then one per configured group.
std::vector<std::vector<at::Tensor>> split_into_groups(const OptimizerOptions& options,
                                                       const NamedParameters& parameters) {
  std::vector<std::regex> patterns;
  for (std::size_t i = 0; i < options.groups.size(); ++i) {
    patterns.push_back(compile(options.groups[i].match, i));
  }
  std::vector<std::vector<at::Tensor>> members(options.groups.size() + 1);
  for (const auto& item : parameters) {
    std::size_t group = 0;
    for (std::size_t i = 0; i < patterns.size() && group == 0; ++i) {
      if (std::regex_search(item.key(), patterns[i])) group = i + 1;
    }
    members[group].push_back(item.value());
  }
  for (std::size_t i = 0; i < options.groups.size(); ++i) {
    if (members[i + 1].empty()) {
      throw usage_error("optimizer.groups[{}].match '{}' matches none of the {} trained tensors", i,
                        options.groups[i].match, parameters.size());
    }
  }
  return members;
}

template <typename Optimizer, typename GroupOptions>
std::unique_ptr<torch::optim::Optimizer> build(const OptimizerOptions& options,
                                               const NamedParameters& parameters,
                                               const GroupOptions& defaults) {
  const auto members = split_into_groups(options, parameters);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].empty()) continue;
    auto group_options = std::make_unique<GroupOptions>(defaults);
    if (i > 0) {
      const ParamGroupOptions& group = options.groups[i - 1];
      if (group.learning_rate) group_options->lr(*group.learning_rate);
      if (group.weight_decay) group_options->weight_decay(*group.weight_decay);
    }
    groups.emplace_back(members[i], std::move(group_options));
  }
  return std::make_unique<Optimizer>(std::move(groups), defaults);
}

}  // namespace

void ParamGroupOptions::declare(ConfigSchema& schema) {
  schema.add("match", match, "regular expression searched in the trained tensors' names")
      .required()
      .check_non_empty();
  schema.add("lr", learning_rate, "learning rate of the group (default: optimizer.lr)")
      .check_positive();
  schema.add("weight_decay", weight_decay, "weight decay of the group (default: "
                                           "optimizer.weight_decay)")
      .check_non_negative();
}

void OptimizerOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".type", type, "adamw (decoupled weight decay), adam (L2) or sgd")
      .one_of({"adamw", "adam", "sgd"});
  auto lr = schema.add(section + ".lr", learning_rate, "learning rate");
  lr.check_positive();
  if (section == "optimizer") lr.flag("--lr");
  schema.add(section + ".betas", betas, "Adam(W) betas [beta1, beta2]")
      .check_range(0, 1)
      .check([](const std::vector<double>& b) { return b.size() == 2 && b[0] < 1 && b[1] < 1; },
             "two numbers in [0, 1)");
  schema.add(section + ".eps", eps, "Adam(W) epsilon").check_positive();
  schema.add(section + ".weight_decay", weight_decay,
             "weight decay (AdamW: decoupled, p *= 1 - lr * weight_decay)")
      .check_non_negative();
  schema.add(section + ".momentum", momentum, "SGD momentum").check_range(0, 1);
  schema.add_list(section + ".groups", groups,
                  "parameter groups: [{match: REGEX, lr: X, weight_decay: Y}], first match wins");
}

void OptimizerOptions::validate() const {
  if (type != "adamw" && type != "adam" && type != "sgd") {
    throw usage_error("optimizer.type '{}': expected adamw, adam or sgd", type);
  }
  if (!(learning_rate > 0) || !(eps > 0) || weight_decay < 0) {
    throw usage_error("optimizer: lr {}, eps {}, weight_decay {}: expected lr > 0, eps > 0, "
                      "weight_decay >= 0",
                      learning_rate, eps, weight_decay);
  }
  if (betas.size() != 2 || betas[0] < 0 || betas[0] >= 1 || betas[1] < 0 || betas[1] >= 1) {
    throw usage_error("optimizer.betas: expected two numbers in [0, 1)");
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    compile(groups[i].match, i);
    if ((groups[i].learning_rate && !(*groups[i].learning_rate > 0)) ||
        (groups[i].weight_decay && *groups[i].weight_decay < 0)) {
      throw usage_error("optimizer.groups[{}]: expected lr > 0 and weight_decay >= 0", i);
    }
  }
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options,
                                                        const NamedParameters& parameters) {
  options.validate();
  if (parameters.is_empty()) throw runtime_error("make_optimizer: no tensors to train");
  if (options.type == "sgd") {
    return build<torch::optim::SGD>(
        options, parameters,
        torch::optim::SGDOptions(options.learning_rate)
            .momentum(options.momentum)
            .weight_decay(options.weight_decay));
  }
  if (options.type == "adam") {
    return build<torch::optim::Adam>(
        options, parameters,
        torch::optim::AdamOptions(options.learning_rate)
            .betas({options.betas[0], options.betas[1]})
            .eps(options.eps)
            .weight_decay(options.weight_decay)
            .amsgrad(false));
  }
  return build<torch::optim::AdamW>(
      options, parameters,
      torch::optim::AdamWOptions(options.learning_rate)
          .betas({options.betas[0], options.betas[1]})
          .eps(options.eps)
          .weight_decay(options.weight_decay)
          .amsgrad(false));
}

std::vector<double> group_learning_rates(const torch::optim::Optimizer& optimizer) {
  std::vector<double> rates;
  for (const auto& group : optimizer.param_groups()) rates.push_back(group.options().get_lr());
  return rates;
}

void set_group_learning_rates(torch::optim::Optimizer& optimizer, const std::vector<double>& base,
                              double lr_scale) {
  auto& groups = optimizer.param_groups();
  if (groups.size() != base.size()) {
    throw runtime_error("set_group_learning_rates: {} groups, {} base rates", groups.size(),
                        base.size());
  }
  for (std::size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(base[i] * lr_scale);
}

}  // namespace hc
