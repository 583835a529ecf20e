#pragma once
// An optimiser's state keyed by parameter name: its kind, each param group's hyper-parameters
// and members, and each parameter's state (step counts as JSON, buffers as tensors). What
// save_training_state / load_training_state (training_state.h) store.
#include <map>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "hc/train/training_state.h"

namespace hc {

struct OptimizerSnapshot {
  // {"type": "AdamW", "param_groups": [{"params": [names], "lr": ..., ...}],
  //  "state": {name: {"step": n}}} (SGD: names with a momentum buffer map to {}).
  nlohmann::json description;
  // "<parameter name>.<field>" -> tensor: exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer.
  std::map<std::string, at::Tensor> tensors;
};

// Supported: AdamW, Adam, SGD; anything else is a usage hc::Error. A parameter of the optimiser
// that is not in `parameters` is an hc::Error. The tensors are the optimiser's own (no copy).
OptimizerSnapshot capture_optimizer_state(const torch::optim::Optimizer& optimizer,
                                          const NamedParameters& parameters);

// Restores a snapshot onto a fresh optimiser of the same kind (see load_training_state);
// `where` names the source in errors.
void restore_optimizer_state(torch::optim::Optimizer& optimizer, const NamedParameters& parameters,
                             const OptimizerSnapshot& snapshot, const std::string& where);

}  // namespace hc
