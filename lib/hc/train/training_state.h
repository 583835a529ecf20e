#pragma once
// Everything a resumed training run needs to end bit-identical to an uninterrupted one, saved
// beside the model in a checkpoint folder (see hc/model/checkpoint.h, ClipCheckpointOptions::
// write_more): training_state.json (counters, data order, hyper-parameters, engine states) and
// training_state.safetensors (random generator states, the optimiser's per-parameter tensors).
//
// The optimiser's state is keyed by parameter NAME, never by position, so it restores onto a
// fresh optimiser whose groups list the same parameters in any order. Supported optimisers:
// torch::optim::AdamW and Adam (step, exp_avg, exp_avg_sq, max_exp_avg_sq) and SGD
// (momentum_buffer); each param group's hyper-parameters are saved and restored too.
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace torch {
template <typename Key, typename Value>
class OrderedDict;
namespace optim {
class Optimizer;
}  // namespace optim
}  // namespace torch

namespace hc {

inline constexpr const char* kTrainingStateJson = "training_state.json";
inline constexpr const char* kTrainingStateTensors = "training_state.safetensors";

// The states of torch's default random generators.
struct RngStates {
  at::Tensor cpu;                // the default CPU generator's
  std::vector<at::Tensor> cuda;  // each CUDA device's default generator's, in device order
};

// The current states (each generator locked while it is read).
RngStates capture_rng_states();
// Sets the generators back. CUDA states for more devices than this machine has are an
// hc::Error (resuming on fewer GPUs cannot reproduce the run); fewer states than devices leave
// the other devices' generators as they are.
void restore_rng_states(const RngStates& states);

// The text form of a std::mt19937's state (its operator<<) and back; a malformed state is an
// hc::Error naming `name`.
std::string engine_state(const std::mt19937& engine);
void restore_engine(std::mt19937& engine, const std::string& state, const std::string& name);

struct TrainingState {
  int64_t global_step = 0;     // optimiser steps taken
  int64_t epoch = 0;           // the epoch in progress, from 0
  int64_t epoch_position = 0;  // how far into the epoch's data order the run is (the loop's unit)
  uint64_t order_seed = 0;     // the seed the epochs' data orders are drawn from
  RngStates rng;               // capture_rng_states() at the save
  std::map<std::string, std::string> engines;  // engine_state() of each std::mt19937, by name
  // A dynamic loss scale's state (loss_scaler.h); loss_scale 0: none saved (a fixed scale, or a
  // checkpoint written before dynamic scaling existed).
  double loss_scale = 0;
  int64_t loss_scale_growth_tracker = 0;
};

using NamedParameters = torch::OrderedDict<std::string, at::Tensor>;

// Writes training_state.json and training_state.safetensors into folder (each atomically): the
// state, the optimiser's kind, its param groups (hyper-parameters and member names) and each
// parameter's optimiser state under the parameter's name in `parameters` (e.g. a module's
// named_parameters(), plus any free tensors it trains). A parameter the optimiser holds that is
// not in `parameters`, or an unsupported optimiser, is an hc::Error.
void save_training_state(const std::filesystem::path& folder, const TrainingState& state,
                         const torch::optim::Optimizer& optimizer,
                         const NamedParameters& parameters);

// Whether folder holds a saved training state.
bool has_training_state(const std::filesystem::path& folder);

// Reads the files back and restores the optimiser: `optimizer` is a fresh one of the same kind
// over the same parameters (named as at the save; the saved state goes to the tensors of
// `parameters`, moved to their devices). Each of its param groups must hold exactly the
// parameters of one saved group (by name); the saved hyper-parameters replace the group's, and
// any state it has is replaced. Mismatches (kind, groups, shapes, names) are one hc::Error naming
// the folder and what differs. The random states are returned, not applied: call
// restore_rng_states(state.rng) once the setup that draws random numbers (model init, ...) is
// done, and restore_engine for each engine.
TrainingState load_training_state(const std::filesystem::path& folder,
                                  torch::optim::Optimizer& optimizer,
                                  const NamedParameters& parameters);

}  // namespace hc
