// A run saved after k steps and resumed in a fresh model and optimiser ends bit-identical to the
// run that never stopped: weights, optimiser state (by parameter name), hyper-parameters, data
// order position and every random generator it draws from.
#include "catch_torch.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "hc/model/weight_plan.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/train/training_state.h"
#include "../model/model_test_util.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kSamples = 24;
constexpr int64_t kBatch = 8;  // 3 batches an epoch
constexpr uint64_t kOrderSeed = 77;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    hidden = register_module("hidden", torch::nn::Linear(4, 16));
    out = register_module("out", torch::nn::Linear(16, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return out(torch::tanh(hidden(x))); }
  torch::nn::Linear hidden{nullptr}, out{nullptr};
};
TORCH_MODULE(Net);

using MakeOptimizer = std::function<std::unique_ptr<torch::optim::Optimizer>(Net&, bool reordered)>;

// A training run: the data order of epoch e is a shuffle drawn from (order seed, e); each step
// adds noise from torch's CPU generator and scales its batch by a draw from its own mt19937.
struct Run {
  Net net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::mt19937 augment{123};
  hc::TrainingState state;
  torch::Tensor inputs, targets;

  // The resumed run starts from other weights than the saved one.
  Run(const MakeOptimizer& make, bool reordered) : net(seeded_net(reordered ? 999 : 1)) {
    optimizer = make(net, reordered);
    auto data = at::make_generator<at::CPUGeneratorImpl>(42);
    inputs = at::randn({kSamples, 4}, data);
    targets = at::randn({kSamples, 3}, data);
    state.order_seed = kOrderSeed;
  }

  static Net seeded_net(uint64_t seed) {
    torch::manual_seed(seed);
    return Net();
  }

  std::vector<int64_t> epoch_order() const {
    std::vector<int64_t> order(kSamples);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 engine(static_cast<uint32_t>(state.order_seed + state.epoch));
    std::shuffle(order.begin(), order.end(), engine);
    return order;
  }

  void step() {
    const std::vector<int64_t> order = epoch_order();
    const auto first = order.begin() + state.epoch_position * kBatch;
    const torch::Tensor rows = torch::tensor(std::vector<int64_t>(first, first + kBatch));
    const double scale = std::uniform_real_distribution<double>(0.5, 1.5)(augment);
    const torch::Tensor x = inputs.index_select(0, rows) * scale + 0.1 * torch::randn({kBatch, 4});
    optimizer->zero_grad();
    torch::mse_loss(net->forward(x), targets.index_select(0, rows)).backward();
    optimizer->step();
    // A schedule: every group's learning rate decays, so restoring it matters.
    for (auto& group : optimizer->param_groups())
      group.options().set_lr(group.options().get_lr() * 0.9);
    ++state.global_step;
    if (++state.epoch_position * kBatch >= kSamples) {
      state.epoch_position = 0;
      ++state.epoch;
    }
  }

  void run_until(int64_t step_count) {
    while (state.global_step < step_count) step();
  }

  void save(const fs::path& folder) {
    std::vector<hc::NamedTensor> weights;
    for (const auto& item : net->named_parameters()) weights.push_back({item.key(), item.value()});
    hc::save_tensors(folder / "weights.safetensors", weights);
    state.rng = hc::capture_rng_states();
    state.engines["augment"] = hc::engine_state(augment);
    hc::save_training_state(folder, state, *optimizer, net->named_parameters());
  }

  void resume(const fs::path& folder) {
    hc::load_weight_plan(
        *net, hc::SafetensorsCheckpoint::open(folder / "weights.safetensors"),
        [](const std::string& name) { return hc::WeightSource{name}; }, "net");
    state = hc::load_training_state(folder, *optimizer, net->named_parameters());
    hc::restore_engine(augment, state.engines.at("augment"), "augment");
    hc::restore_rng_states(state.rng);
  }
};

void require_identical(Run& resumed, Run& straight) {
  CHECK(resumed.state.global_step == straight.state.global_step);
  CHECK(resumed.state.epoch == straight.state.epoch);
  CHECK(resumed.state.epoch_position == straight.state.epoch_position);
  auto expected = straight.net->named_parameters();
  for (const auto& item : resumed.net->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), expected[item.key()]));
  }
}

void check_resume_is_bit_identical(const MakeOptimizer& make, int64_t total, int64_t saved_at) {
  Run straight(make, false);
  straight.run_until(total);

  hc::test::TempDir dir;
  {
    Run first(make, false);
    first.run_until(saved_at);
    first.save(dir.path());
  }
  // Something else draws from torch's generator between the runs (another process would start
  // from a fresh one): the restored state must not depend on it.
  torch::randn({100});
  Run resumed(make, true);
  resumed.resume(dir.path());
  CHECK(resumed.state.global_step == saved_at);
  resumed.run_until(total);
  require_identical(resumed, straight);
}

// Two param groups with their own hyper-parameters; the resumed run lists the groups, and the
// parameters in them, in another order.
template <typename Optimizer, typename Options>
std::unique_ptr<torch::optim::Optimizer> two_groups(Net& net, bool reordered, Options first,
                                                    Options second) {
  std::vector<torch::Tensor> hidden = net->hidden->parameters();
  std::vector<torch::Tensor> out = net->out->parameters();
  if (reordered) {
    std::reverse(hidden.begin(), hidden.end());
    std::swap(hidden, out);
    std::swap(first, second);
    // Constructor values the restore must overwrite.
    first.lr(123.0);
    second.lr(456.0);
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(hidden, std::make_unique<Options>(first));
  groups.emplace_back(out, std::make_unique<Options>(second));
  return std::make_unique<Optimizer>(std::move(groups), Options(1.0));
}

std::unique_ptr<torch::optim::Optimizer> one_adamw(Net& net, bool) {
  return std::make_unique<torch::optim::AdamW>(net->parameters(), torch::optim::AdamWOptions(0.01));
}

}  // namespace

TEST_CASE("AdamW resumed after k steps ends bit-identical to the uninterrupted run", "[train]") {
  check_resume_is_bit_identical(
      [](Net& net, bool reordered) {
        return two_groups<torch::optim::AdamW>(
            net, reordered, torch::optim::AdamWOptions(0.01).weight_decay(0.1),
            torch::optim::AdamWOptions(0.02).weight_decay(0.0).betas({0.8, 0.95}).amsgrad(true));
      },
      /*total=*/10, /*saved_at=*/4);  // mid-epoch (epoch 1, batch 1)
}

TEST_CASE("SGD with momentum resumed after k steps ends bit-identical", "[train]") {
  check_resume_is_bit_identical(
      [](Net& net, bool reordered) {
        return two_groups<torch::optim::SGD>(
            net, reordered, torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true),
            torch::optim::SGDOptions(0.1).momentum(0.5).dampening(0.1).weight_decay(0.01));
      },
      /*total=*/9, /*saved_at=*/6);  // at an epoch boundary
}

TEST_CASE("Adam resumed after k steps ends bit-identical", "[train]") {
  check_resume_is_bit_identical(
      [](Net& net, bool) {
        return std::make_unique<torch::optim::Adam>(net->parameters(),
                                                    torch::optim::AdamOptions(0.01));
      },
      /*total=*/7, /*saved_at=*/2);
}

TEST_CASE("The saved training state lists its counters, hyper-parameters and names", "[train]") {
  Run run(one_adamw, false);
  run.run_until(4);
  hc::test::TempDir dir;
  run.save(dir.path());
  REQUIRE(hc::has_training_state(dir.path()));
  const auto json = nlohmann::json::parse(hc::test::read_bytes(dir / hc::kTrainingStateJson));
  CHECK(json.at("global_step") == 4);
  CHECK(json.at("epoch") == 1);
  CHECK(json.at("epoch_position") == 1);
  CHECK(json.at("order_seed") == kOrderSeed);
  CHECK(json.at("optimizer").at("type") == "AdamW");
  const auto& group = json.at("optimizer").at("param_groups").at(0);
  CHECK(group.at("lr").get<double>() == run.optimizer->param_groups()[0].options().get_lr());
  std::vector<std::string> names;
  for (const auto& item : run.net->named_parameters()) names.push_back(item.key());
  CHECK(group.at("params").get<std::vector<std::string>>() == names);
  auto file = hc::SafetensorsFile::open(dir / hc::kTrainingStateTensors);
  CHECK(file->contains("rng.cpu"));
  CHECK(file->contains("optimizer.hidden.weight.exp_avg"));
  CHECK(file->contains("optimizer.out.bias.exp_avg_sq"));
}

TEST_CASE("Restoring onto another optimiser or other groups is refused, naming the difference",
          "[train]") {
  Run run(one_adamw, false);
  run.run_until(2);
  hc::test::TempDir dir;
  run.save(dir.path());
  Net fresh;
  auto load_into = [&](torch::optim::Optimizer& optimizer, const fs::path& folder) {
    return [&optimizer, &fresh, folder] {
      hc::load_training_state(folder, optimizer, fresh->named_parameters());
    };
  };
  SECTION("another kind") {
    torch::optim::SGD sgd(fresh->parameters(), torch::optim::SGDOptions(0.1));
    hc::test::require_hc_error(load_into(sgd, dir.path()), {dir.path().string(), "AdamW", "SGD"});
  }
  SECTION("other groups") {
    torch::optim::AdamW adamw(fresh->hidden->parameters(), torch::optim::AdamWOptions(0.1));
    hc::test::require_hc_error(load_into(adamw, dir.path()), {"matches no saved group"});
  }
  SECTION("no saved state") {
    hc::test::TempDir empty;
    torch::optim::AdamW adamw(fresh->parameters(), torch::optim::AdamWOptions(0.1));
    hc::test::require_hc_error(load_into(adamw, empty.path()), {hc::kTrainingStateJson});
  }
}

TEST_CASE("Engine states round-trip and malformed ones are refused", "[train]") {
  std::mt19937 engine(5);
  engine.discard(1000);
  const std::string saved = hc::engine_state(engine);
  const auto expected = engine();
  std::mt19937 other;
  hc::restore_engine(other, saved, "order");
  CHECK(other() == expected);
  CHECK_THROWS_WITH(hc::restore_engine(other, "12 x", "order"), Catch::Matchers::Contains("order"));
}
