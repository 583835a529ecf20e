#include "hc/train/training_state.h"

#include <mutex>
#include <sstream>
#include <vector>

#include <ATen/Context.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/optim/optimizer.h>
#include <torch/ordered_dict.h>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/io/text_file.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/train/optimizer_state.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

using Json = nlohmann::json;

constexpr int kFormat = 1;
constexpr const char* kCpuRng = "rng.cpu";
constexpr const char* kCudaRngPrefix = "rng.cuda.";
constexpr const char* kOptimizerPrefix = "optimizer.";

at::Generator default_generator(c10::Device device) {
  return at::globalContext().defaultGenerator(device);
}

at::Tensor generator_state(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(at::Generator generator, const at::Tensor& state, const char* what) {
  try {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
  } catch (const c10::Error& e) {
    throw runtime_error("cannot restore the {} random generator: {}", what,
                        e.what_without_backtrace());
  }
}

std::map<std::string, at::Tensor> read_tensors(const fs::path& path) {
  const auto file = SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> tensors;
  for (const std::string& name : file->names())
    tensors[name] = to_tensor(file->get(name), c10::kCPU);
  return tensors;
}

const at::Tensor& required(const std::map<std::string, at::Tensor>& tensors,
                           const std::string& name, const fs::path& path) {
  const auto found = tensors.find(name);
  if (found == tensors.end()) throw runtime_error("{}: no tensor {}", path.string(), name);
  return found->second;
}

}  // namespace

RngStates capture_rng_states() {
  RngStates states;
  states.cpu = generator_state(default_generator(c10::kCPU));
  const auto devices = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < devices; ++i) {
    states.cuda.push_back(generator_state(default_generator(c10::Device(c10::kCUDA, i))));
  }
  return states;
}

void restore_rng_states(const RngStates& states) {
  if (states.cpu.defined()) set_generator_state(default_generator(c10::kCPU), states.cpu, "CPU");
  const auto devices = torch::cuda::device_count();
  if (states.cuda.size() > devices) {
    throw usage_error(
        "the saved run used {} CUDA devices, this machine has {}: its random "
        "generators cannot all be restored",
        states.cuda.size(), devices);
  }
  for (std::size_t i = 0; i < states.cuda.size(); ++i) {
    set_generator_state(default_generator(c10::Device(c10::kCUDA, static_cast<int>(i))),
                        states.cuda[i], "CUDA");
  }
}

std::string engine_state(const std::mt19937& engine) {
  std::ostringstream text;
  text << engine;
  return text.str();
}

void restore_engine(std::mt19937& engine, const std::string& state, const std::string& name) {
  std::istringstream text(state);
  std::mt19937 restored;
  text >> restored;
  if (text.fail()) throw runtime_error("the saved state of random engine {} is malformed", name);
  engine = restored;
}

void save_training_state(const fs::path& folder, const TrainingState& state,
                         const torch::optim::Optimizer& optimizer,
                         const NamedParameters& parameters) {
  OptimizerSnapshot optimizer_state = capture_optimizer_state(optimizer, parameters);
  std::vector<NamedTensor> tensors;
  if (state.rng.cpu.defined()) tensors.push_back({kCpuRng, state.rng.cpu});
  for (std::size_t i = 0; i < state.rng.cuda.size(); ++i) {
    tensors.push_back({kCudaRngPrefix + std::to_string(i), state.rng.cuda[i]});
  }
  for (const auto& [name, tensor] : optimizer_state.tensors) {
    tensors.push_back({kOptimizerPrefix + name, tensor});
  }
  const Json document = {{"format", kFormat},
                         {"global_step", state.global_step},
                         {"epoch", state.epoch},
                         {"epoch_position", state.epoch_position},
                         {"order_seed", state.order_seed},
                         {"cuda_generators", state.rng.cuda.size()},
                         {"engines", state.engines},
                         {"loss_scale", state.loss_scale},
                         {"loss_scale_growth_tracker", state.loss_scale_growth_tracker},
                         {"optimizer", optimizer_state.description}};
  save_tensors(folder / kTrainingStateTensors, tensors, {{"format", "pt"}});
  write_file_atomically(folder / kTrainingStateJson, document.dump(2) + "\n");
}

bool has_training_state(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / kTrainingStateJson, ec) &&
         fs::is_regular_file(folder / kTrainingStateTensors, ec);
}

TrainingState load_training_state(const fs::path& folder, torch::optim::Optimizer& optimizer,
                                  const NamedParameters& parameters) {
  const fs::path json_path = folder / kTrainingStateJson;
  const fs::path tensors_path = folder / kTrainingStateTensors;
  if (!has_training_state(folder)) {
    throw usage_error("{} holds no training state ({} + {})", folder.string(), kTrainingStateJson,
                      kTrainingStateTensors);
  }
  const std::map<std::string, at::Tensor> tensors = read_tensors(tensors_path);
  TrainingState state;
  try {
    const Json document = Json::parse(read_text_file(json_path));
    if (document.at("format").get<int>() != kFormat) {
      throw runtime_error("{}: format {} is not the one this build reads ({})", json_path.string(),
                          document.at("format").dump(), kFormat);
    }
    state.global_step = document.at("global_step").get<int64_t>();
    state.epoch = document.at("epoch").get<int64_t>();
    state.epoch_position = document.at("epoch_position").get<int64_t>();
    state.order_seed = document.at("order_seed").get<uint64_t>();
    state.engines = document.at("engines").get<std::map<std::string, std::string>>();
    state.loss_scale = document.value("loss_scale", 0.0);
    state.loss_scale_growth_tracker = document.value("loss_scale_growth_tracker", int64_t{0});
    if (tensors.count(kCpuRng)) state.rng.cpu = tensors.at(kCpuRng);
    const auto cuda = document.at("cuda_generators").get<std::size_t>();
    for (std::size_t i = 0; i < cuda; ++i) {
      state.rng.cuda.push_back(required(tensors, kCudaRngPrefix + std::to_string(i), tensors_path));
    }
    OptimizerSnapshot snapshot{document.at("optimizer"), {}};
    const std::string prefix = kOptimizerPrefix;
    for (const auto& [name, tensor] : tensors) {
      if (name.compare(0, prefix.size(), prefix) == 0) {
        snapshot.tensors[name.substr(prefix.size())] = tensor;
      }
    }
    restore_optimizer_state(optimizer, parameters, snapshot, folder.string());
  } catch (const Json::exception& e) {
    throw runtime_error("{}: {}", json_path.string(), e.what());
  }
  return state;
}

}  // namespace hc
