#pragma once
// The optimiser of a training run, built from config: its kind and hyper-parameters (keys
// optimizer.*) and optional parameter groups that give some tensors, chosen by a regular
// expression on their names, their own learning rate or weight decay:
//
//   optimizer:
//     type: adamw
//     lr: 1e-7
//     groups: [{match: "embeddings", weight_decay: 0}, {match: "^root$", lr: 1e-3}]
//
// A tensor goes to the first group whose `match` finds a match in its name, else to the default
// group (the top-level hyper-parameters). Knows nothing of the model or the loss.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hc/train/training_state.h"

namespace hc {

class ConfigSchema;

struct ParamGroupOptions {
  std::string match;                    // std::regex (ECMAScript), searched in the name
  std::optional<double> learning_rate;  // unset: the default group's
  std::optional<double> weight_decay;   // unset: the default group's

  void declare(ConfigSchema& schema);   // keys match, lr, weight_decay of one list record
};

struct OptimizerOptions {
  std::string type = "adamw";  // adamw (decoupled decay), adam (L2 decay), sgd
  double learning_rate = 1e-3;
  std::vector<double> betas{0.9, 0.999};  // adam, adamw
  double eps = 1e-8;                      // adam, adamw
  double weight_decay = 0.01;             // PyTorch's AdamW default
  double momentum = 0.0;                  // sgd
  std::vector<ParamGroupOptions> groups;

  OptimizerOptions() = default;
  explicit OptimizerOptions(double lr) : learning_rate(lr) {}

  // Keys <section>.type, .lr, .betas, .eps, .weight_decay, .momentum, .groups (flag --lr on
  // <section>.lr for the section "optimizer").
  void declare(ConfigSchema& schema, const std::string& section = "optimizer");
  void validate() const;  // the same checks for options built in code (usage hc::Error)
};

// The optimiser over `parameters` (name -> tensor, in that order), grouped as options.groups say
// (the default group first, then the configured ones in order; empty groups are left out). A
// configured group that matches no tensor, or an invalid expression, is a usage hc::Error.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options,
                                                        const NamedParameters& parameters);

// The learning rate of every param group set to lr_scale times its configured value (warm-up,
// schedules): `base` holds the configured values, one per group, as make_optimizer made them.
std::vector<double> group_learning_rates(const torch::optim::Optimizer& optimizer);
void set_group_learning_rates(torch::optim::Optimizer& optimizer, const std::vector<double>& base,
                              double lr_scale);

}  // namespace hc
