#include "hc/train/optimizer_state.h"

#include <set>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/ordered_dict.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {
namespace {

using Json = nlohmann::json;
using torch::optim::Optimizer;
using torch::optim::OptimizerParamState;

// libtorch keys an optimiser's state by the parameter's TensorImpl: as the pointer printed to a
// string in 1.x, as the pointer itself in 2.x. Whichever this build's map uses.
using StateMap = std::decay_t<decltype(std::declval<Optimizer&>().state())>;
using StateKey = typename StateMap::key_type;

template <typename Key>
Key state_key_as(const at::Tensor& parameter) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << static_cast<const void*>(parameter.unsafeGetTensorImpl());
    return text.str();
  } else {
    return static_cast<Key>(parameter.unsafeGetTensorImpl());
  }
}

StateKey state_key(const at::Tensor& parameter) { return state_key_as<StateKey>(parameter); }

enum class Kind { AdamW, Adam, Sgd };

Kind kind_of(const Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) return Kind::AdamW;
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return Kind::Adam;
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) return Kind::Sgd;
  throw usage_error(
      "saving or restoring an optimiser's state: only torch::optim::AdamW, Adam "
      "and SGD are supported");
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::AdamW: return "AdamW";
    case Kind::Adam: return "Adam";
    case Kind::Sgd: return "SGD";
  }
  return "";
}

// Adam and AdamW options have the same fields.
template <typename Options>
Json adam_options_json(const Options& options) {
  return {{"lr", options.lr()},
          {"betas", {std::get<0>(options.betas()), std::get<1>(options.betas())}},
          {"eps", options.eps()},
          {"weight_decay", options.weight_decay()},
          {"amsgrad", options.amsgrad()}};
}

template <typename Options>
void set_adam_options(Options& options, const Json& saved) {
  options.lr(saved.at("lr").get<double>());
  options.betas(std::make_tuple(saved.at("betas").at(0).get<double>(),
                                saved.at("betas").at(1).get<double>()));
  options.eps(saved.at("eps").get<double>());
  options.weight_decay(saved.at("weight_decay").get<double>());
  options.amsgrad(saved.at("amsgrad").get<bool>());
}

Json sgd_options_json(const torch::optim::SGDOptions& options) {
  return {{"lr", options.lr()},
          {"momentum", options.momentum()},
          {"dampening", options.dampening()},
          {"weight_decay", options.weight_decay()},
          {"nesterov", options.nesterov()}};
}

void set_sgd_options(torch::optim::SGDOptions& options, const Json& saved) {
  options.lr(saved.at("lr").get<double>());
  options.momentum(saved.at("momentum").get<double>());
  options.dampening(saved.at("dampening").get<double>());
  options.weight_decay(saved.at("weight_decay").get<double>());
  options.nesterov(saved.at("nesterov").get<bool>());
}

Json options_json(Kind kind, const torch::optim::OptimizerOptions& options) {
  switch (kind) {
    case Kind::AdamW:
      return adam_options_json(static_cast<const torch::optim::AdamWOptions&>(options));
    case Kind::Adam:
      return adam_options_json(static_cast<const torch::optim::AdamOptions&>(options));
    case Kind::Sgd: return sgd_options_json(static_cast<const torch::optim::SGDOptions&>(options));
  }
  return {};
}

void set_options(Kind kind, torch::optim::OptimizerOptions& options, const Json& saved) {
  switch (kind) {
    case Kind::AdamW:
      return set_adam_options(static_cast<torch::optim::AdamWOptions&>(options), saved);
    case Kind::Adam:
      return set_adam_options(static_cast<torch::optim::AdamOptions&>(options), saved);
    case Kind::Sgd: return set_sgd_options(static_cast<torch::optim::SGDOptions&>(options), saved);
  }
}

// One parameter's state as JSON scalars and named tensors, and back.
template <typename State>
Json capture_adam_state(const OptimizerParamState& base, const std::string& name,
                        std::map<std::string, at::Tensor>& tensors) {
  const auto& state = static_cast<const State&>(base);
  tensors[name + ".exp_avg"] = state.exp_avg();
  tensors[name + ".exp_avg_sq"] = state.exp_avg_sq();
  if (state.max_exp_avg_sq().defined()) tensors[name + ".max_exp_avg_sq"] = state.max_exp_avg_sq();
  return {{"step", state.step()}};
}

Json capture_state(Kind kind, const OptimizerParamState& base, const std::string& name,
                   std::map<std::string, at::Tensor>& tensors) {
  switch (kind) {
    case Kind::AdamW: return capture_adam_state<torch::optim::AdamWParamState>(base, name, tensors);
    case Kind::Adam: return capture_adam_state<torch::optim::AdamParamState>(base, name, tensors);
    case Kind::Sgd: {
      const auto& state = static_cast<const torch::optim::SGDParamState&>(base);
      if (state.momentum_buffer().defined()) {
        tensors[name + ".momentum_buffer"] = state.momentum_buffer();
      }
      return Json::object();
    }
  }
  return {};
}

// The saved tensor `name.field` on the parameter's device, checked against its shape; an
// undefined tensor when absent and optional.
at::Tensor saved_tensor(const OptimizerSnapshot& snapshot, const std::string& name,
                        const char* field, const at::Tensor& parameter, bool required,
                        const std::string& where) {
  const auto found = snapshot.tensors.find(name + "." + field);
  if (found == snapshot.tensors.end()) {
    if (required) throw runtime_error("{}: no {} for parameter {}", where, field, name);
    return {};
  }
  if (found->second.sizes() != parameter.sizes()) {
    throw runtime_error("{}: {} of parameter {} is {}, the parameter is {}", where, field, name,
                        shape_text(found->second.sizes()),
                        shape_text(parameter.sizes()));
  }
  return found->second.to(parameter.device());
}

template <typename State>
std::unique_ptr<OptimizerParamState> restore_adam_state(const OptimizerSnapshot& snapshot,
                                                        const std::string& name,
                                                        const Json& scalars,
                                                        const at::Tensor& parameter,
                                                        const std::string& where) {
  auto state = std::make_unique<State>();
  state->step(scalars.at("step").get<int64_t>());
  state->exp_avg(saved_tensor(snapshot, name, "exp_avg", parameter, true, where));
  state->exp_avg_sq(saved_tensor(snapshot, name, "exp_avg_sq", parameter, true, where));
  state->max_exp_avg_sq(saved_tensor(snapshot, name, "max_exp_avg_sq", parameter, false, where));
  return state;
}

std::unique_ptr<OptimizerParamState> restore_state(Kind kind, const OptimizerSnapshot& snapshot,
                                                   const std::string& name, const Json& scalars,
                                                   const at::Tensor& parameter,
                                                   const std::string& where) {
  switch (kind) {
    case Kind::AdamW:
      return restore_adam_state<torch::optim::AdamWParamState>(snapshot, name, scalars, parameter,
                                                               where);
    case Kind::Adam:
      return restore_adam_state<torch::optim::AdamParamState>(snapshot, name, scalars, parameter,
                                                              where);
    case Kind::Sgd: {
      auto state = std::make_unique<torch::optim::SGDParamState>();
      state->momentum_buffer(
          saved_tensor(snapshot, name, "momentum_buffer", parameter, true, where));
      return state;
    }
  }
  return nullptr;
}

// The name of each parameter in `parameters`, by its TensorImpl.
std::unordered_map<const void*, std::string> names_by_tensor(const NamedParameters& parameters) {
  std::unordered_map<const void*, std::string> names;
  for (const auto& item : parameters) names[item.value().unsafeGetTensorImpl()] = item.key();
  return names;
}

std::vector<std::string> group_names(const std::vector<at::Tensor>& params,
                                     const std::unordered_map<const void*, std::string>& names) {
  std::vector<std::string> result;
  for (const at::Tensor& param : params) {
    const auto found = names.find(param.unsafeGetTensorImpl());
    if (found == names.end()) {
      throw runtime_error(
          "the optimiser holds a parameter of shape {} that is not among the named parameters",
          shape_text(param.sizes()));
    }
    result.push_back(found->second);
  }
  return result;
}

// The hyper-parameters for each of the optimiser's groups: those of the saved group with the
// same members (by name, in any order). Collects the names of all members into `held`.
std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> restored_options(
    Kind kind, const Optimizer& optimizer, const Json& saved_groups,
    const std::unordered_map<const void*, std::string>& names, std::set<std::string>& held,
    const std::string& where) {
  if (saved_groups.size() != optimizer.param_groups().size()) {
    throw usage_error("{}: {} param groups saved, the optimiser has {}", where, saved_groups.size(),
                      optimizer.param_groups().size());
  }
  std::vector<bool> taken(saved_groups.size(), false);
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> result;
  for (const auto& group : optimizer.param_groups()) {
    const std::vector<std::string> members = group_names(group.params(), names);
    const std::set<std::string> wanted(members.begin(), members.end());
    held.insert(members.begin(), members.end());
    std::size_t match = 0;
    while (
        match < saved_groups.size() &&
        (taken[match] || saved_groups[match].at("params").get<std::set<std::string>>() != wanted)) {
      ++match;
    }
    if (match == saved_groups.size()) {
      throw usage_error(
          "{}: the optimiser's param group of {} parameters (first: {}) matches no saved group",
          where, members.size(), members.empty() ? "none" : members.front());
    }
    taken[match] = true;
    result.push_back(group.options().clone());
    set_options(kind, *result.back(), saved_groups[match]);
  }
  return result;
}

}  // namespace

OptimizerSnapshot capture_optimizer_state(const Optimizer& optimizer,
                                          const NamedParameters& parameters) {
  const Kind kind = kind_of(optimizer);
  const auto names = names_by_tensor(parameters);
  OptimizerSnapshot snapshot;
  Json groups = Json::array();
  Json states = Json::object();
  for (const auto& group : optimizer.param_groups()) {
    const std::vector<std::string> members = group_names(group.params(), names);
    Json saved = options_json(kind, group.options());
    saved["params"] = members;
    groups.push_back(std::move(saved));
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto found = optimizer.state().find(state_key(group.params()[i]));
      if (found == optimizer.state().end()) continue;  // no step taken with it yet
      states[members[i]] = capture_state(kind, *found->second, members[i], snapshot.tensors);
    }
  }
  snapshot.description = {{"type", kind_name(kind)}, {"param_groups", groups}, {"state", states}};
  return snapshot;
}

void restore_optimizer_state(Optimizer& optimizer, const NamedParameters& parameters,
                             const OptimizerSnapshot& snapshot, const std::string& where) {
  const Kind kind = kind_of(optimizer);
  const Json& saved = snapshot.description;
  if (saved.at("type").get<std::string>() != kind_name(kind)) {
    throw usage_error("{}: the optimiser state is {}'s, the optimiser is {}", where,
                      saved.at("type").get<std::string>(), kind_name(kind));
  }
  const auto names = names_by_tensor(parameters);
  // Everything is built and checked first: on any error the optimiser stays as it was.
  std::set<std::string> held;
  auto options = restored_options(kind, optimizer, saved.at("param_groups"), names, held, where);
  std::vector<std::pair<StateKey, std::unique_ptr<OptimizerParamState>>> states;
  for (const auto& [name, scalars] : saved.at("state").items()) {
    const at::Tensor* parameter = parameters.find(name);
    if (parameter == nullptr || held.count(name) == 0) {
      throw usage_error(
          "{}: saved optimiser state for parameter {}, which the optimiser does not hold", where,
          name);
    }
    states.emplace_back(state_key(*parameter),
                        restore_state(kind, snapshot, name, scalars, *parameter, where));
  }
  for (std::size_t i = 0; i < options.size(); ++i) {
    optimizer.param_groups()[i].set_options(std::move(options[i]));
  }
  optimizer.state().clear();
  for (auto& [key, state] : states) optimizer.state()[key] = std::move(state);
}

}  // namespace hc
