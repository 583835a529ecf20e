// bench_hgclip_train_step [THREADS] [MIN_SECONDS] [BATCH]: one HGCLIP training step
// (hgclip-train's, docs/hgclip-train.md) of a ViT-B/16-shaped CLIP on the CPU (defaults: all
// cores, 20 s per dtype, batch 8 images) over CIFAR-100's hierarchy (120 classes), with the
// official sizes (depth 9, 4 prompt tokens, GAT hidden 1024, 8 heads) and random weights
// (random_clip "ViT-B-16"), random pixels and prototypes. CLIP runs in fp32, then in bf16 (the
// graph networks stay float32, as in the official code). Reports images/s and the time split
// between forward, backward and the optimiser (SGD, momentum 0.9) beside a GEMM rate of the same
// dtype measured in the same run. Prints one JSON object.
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "hc/core/error.h"
#include "hc/core/machine_info.h"
#include "hc/data/cifar100_hierarchy.h"
#include "hc/hgclip/hgclip_method.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/model/clip_model.h"
#include "hc/tensor/compute_threads.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/optimizer_options.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double gemm_gflops(torch::ScalarType dtype) {
  const int64_t m = 1024, k = 768, n = 3072;
  const auto options = torch::TensorOptions().dtype(dtype);
  torch::Tensor a = torch::randn({m, k}, options), b = torch::randn({k, n}, options);
  torch::Tensor c = torch::empty({m, n}, options);
  torch::mm_out(c, a, b);
  double best = 1e300;
  for (int i = 0; i < 10; ++i) {
    const auto start = Clock::now();
    torch::mm_out(c, a, b);
    best = std::min(best, since(start));
  }
  return 2.0 * m * n * k / best / 1e9;
}

hc::ClipTokenizer tokenizer() {
  const char* shared = std::getenv("HC_SHARED_DIR");
  const fs::path folder = fs::path(shared ? shared : "../shared") / "data/clip-tokenizer";
  if (fs::exists(folder)) return hc::ClipTokenizer::load(folder);
  const char* vocab = std::getenv("HC_VOCAB");
  if (!vocab) throw hc::usage_error("bench_hgclip_train_step: set HC_SHARED_DIR or HC_VOCAB");
  return hc::ClipTokenizer::load(vocab);
}

nlohmann::json measure(torch::ScalarType dtype, const hc::ClipTokenizer& tok, int64_t batch,
                       double min_seconds) {
  const hc::ClipConfig config = hc::builtin_clip_config("ViT-B-16");
  hc::ClipModel clip = hc::random_clip(config, 0, torch::kCPU, dtype);
  const hc::ClassHierarchy hierarchy = hc::cifar100_class_hierarchy();
  hc::HgclipOptions options;  // official sizes
  const int64_t classes = hierarchy.num_classes();
  const torch::Tensor prototypes = torch::randn({classes, config.projection_dim});
  auto model = hc::make_hierarchical_classifier(hc::HgclipMethod::Hgclip, clip, tok, hierarchy,
                                                options, prototypes);
  hc::NamedParameters trained;
  for (const auto& [name, tensor] : model->learnable_parameters()) trained.insert(name, tensor);
  hc::OptimizerOptions sgd(3e-4);
  sgd.type = "sgd";
  sgd.momentum = 0.9;
  sgd.weight_decay = 1e-4;
  auto optimizer = hc::make_optimizer(sgd, trained);
  const int64_t size = config.vision.image_size;
  const torch::Tensor pixels = torch::randn({batch, 3, size, size});
  std::vector<torch::Tensor> labels;
  for (int64_t level = 0; level < hierarchy.num_levels(); ++level) {
    labels.push_back(torch::randint(hierarchy.level_size(level), {batch}, torch::kLong));
  }
  double forward = 0, backward = 0, step = 0;
  int64_t steps = 0;
  const auto run_start = Clock::now();
  for (bool warm_up = true; warm_up || since(run_start) < min_seconds || steps < 2;) {
    auto start = Clock::now();
    optimizer->zero_grad();
    const torch::Tensor logits = model->logits(pixels);
    const hc::HierarchicalLoss loss = hc::hierarchical_loss(
        hc::split_level_logits(logits.to(torch::kFloat), hierarchy.level_sizes()), labels);
    const double f = since(start);
    start = Clock::now();
    loss.loss.backward();
    const double b = since(start);
    start = Clock::now();
    optimizer->step();
    const double o = since(start);
    if (warm_up) {
      warm_up = false;
      continue;
    }
    forward += f;
    backward += b;
    step += o;
    ++steps;
  }
  const double per_step = (forward + backward + step) / static_cast<double>(steps);
  const auto n = static_cast<double>(steps);
  return {{"dtype", dtype == torch::kFloat ? "fp32" : "bf16"},
          {"steps_measured", steps},
          {"seconds_per_step", per_step},
          {"images_per_s", static_cast<double>(batch) / per_step},
          {"split_s", {{"forward", forward / n}, {"backward", backward / n}, {"optimizer", step / n}}},
          {"trained_tensors", trained.size()},
          {"gemm_gflops", gemm_gflops(dtype)}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 0;
    const double min_seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
    const int64_t batch = argc > 3 ? std::atoi(argv[3]) : 8;
    hc::use_compute_threads(threads);
    const hc::ClipTokenizer tok = tokenizer();
    nlohmann::json runs = nlohmann::json::array();
    for (torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
      runs.push_back(measure(dtype, tok, batch, min_seconds));
    }
    const nlohmann::json result = {
        {"bench", "hgclip_train_step"},
        {"model", "ViT-B-16-shaped CLIP, random init, frozen; HGCLIP official sizes over "
                  "CIFAR-100's 20 + 100 classes"},
        {"device", "cpu"},
        {"threads", at::get_num_threads()},
        {"torch_version", TORCH_VERSION},
        {"batch_images", batch},
        {"runs", runs},
        {"bf16_speedup", runs[0]["seconds_per_step"].get<double>() /
                             runs[1]["seconds_per_step"].get<double>()},
        {"machine", hc::machine_info()},
    };
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_hgclip_train_step: " << e.what() << std::endl;
    return e.exit_code();
  }
}
