// load_weight_plan loads buffers as well as parameters: BatchNorm running statistics and its
// integer step counter, as non-ViT towers need.
#include "catch_torch.h"

#include <filesystem>
#include <string>
#include <vector>

#include "hc/io/safetensors.h"
#include "hc/model/weight_plan.h"
#include "hc/tensor/safetensors_tensor.h"
#include "model_test_util.h"

namespace fs = std::filesystem;

namespace {

struct SmallNetImpl : torch::nn::Module {
  SmallNetImpl() {
    linear = register_module("linear", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::BatchNorm1d(3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return norm(linear(x)); }
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};
TORCH_MODULE(SmallNet);

// Trains the statistics a little so every buffer differs from a fresh module's.
SmallNet trained_net() {
  torch::manual_seed(11);
  SmallNet net;
  net->train();
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) net->forward(torch::randn({8, 4}) * 2 + 1);
  return net;
}

std::vector<hc::NamedTensor> all_tensors(const torch::nn::Module& module) {
  std::vector<hc::NamedTensor> tensors;
  for (const auto& item : module.named_parameters()) tensors.push_back({item.key(), item.value()});
  for (const auto& item : module.named_buffers()) tensors.push_back({item.key(), item.value()});
  return tensors;
}

void load_identity(torch::nn::Module& module, const fs::path& path) {
  hc::load_weight_plan(
      module, hc::SafetensorsCheckpoint::open(path),
      [](const std::string& name) { return hc::WeightSource{name}; }, "small net");
}

}  // namespace

TEST_CASE("Buffers load with the parameters: BatchNorm statistics and step count",
          "[model][weights]") {
  SmallNet saved = trained_net();
  REQUIRE(saved->norm->num_batches_tracked.item<int64_t>() == 3);
  hc::test::TempDir dir;
  hc::save_tensors(dir / "net.safetensors", all_tensors(*saved));

  SmallNet loaded;
  load_identity(*loaded, dir / "net.safetensors");
  auto expected = saved->named_buffers();
  REQUIRE(expected.size() == 3);  // running_mean, running_var, num_batches_tracked
  for (const auto& item : loaded->named_buffers()) {
    INFO(item.key());
    CHECK(item.value().scalar_type() == expected[item.key()].scalar_type());
    CHECK(torch::equal(item.value(), expected[item.key()]));
  }
  saved->eval();
  loaded->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input = torch::randn({5, 4});
  CHECK(torch::equal(loaded->forward(input), saved->forward(input)));
}

TEST_CASE("A missing or ill-typed buffer is reported like a parameter", "[model][weights]") {
  SmallNet saved = trained_net();
  hc::test::TempDir dir;
  std::vector<hc::NamedTensor> tensors;
  for (auto& item : all_tensors(*saved)) {
    if (item.name == "norm.running_var") continue;
    if (item.name == "norm.num_batches_tracked") item.tensor = item.tensor.to(torch::kFloat);
    tensors.push_back(item);
  }
  hc::save_tensors(dir / "net.safetensors", tensors);
  SmallNet loaded;
  const torch::Tensor before = loaded->norm->running_mean.clone();
  hc::test::require_hc_error([&] { load_identity(*loaded, dir / "net.safetensors"); },
                             {"net.safetensors", "small net", "1 missing (norm.running_var)",
                              "norm.num_batches_tracked: dtype F32 in the file, an integer type "
                              "expected"});
  CHECK(torch::equal(loaded->norm->running_mean, before));  // nothing copied
}
