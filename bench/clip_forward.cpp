// bench_clip_forward [THREADS] [MIN_SECONDS] [BATCHES] [DTYPES]: CLIP ViT-B/32 forward throughput
// on the CPU (defaults: all cores, 2 s per case, batches 1,8,64, dtypes fp32,bf16).
// A randomly initialised model with ViT-B/32's shapes (random_clip(builtin "ViT-B-32")): images/s
// and texts/s at batch 1, 8 and 64, in fp32 and, where this CPU and libtorch run it, bf16. Each
// case also gives its achieved GFLOP/s, counted analytically from the config (2*M*N*K per matrix
// product, attention scores and context included; texts padded to the full 77 tokens, which the
// text tower computes whatever the caption length), next to the rate of a plain matrix product
// measured in the same run (torch::mm 1024x768 @ 768x3072, ViT-B's MLP shape at 1024 tokens).
// Prints one JSON object.
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/machine_info.h"
#include "hc/model/clip_model.h"
#include "hc/tensor/blas_kernels.h"
#include "hc/tensor/compute_threads.h"
#include "hc/tensor/device.h"

namespace {
using Clock = std::chrono::steady_clock;

constexpr int64_t kTextLength = 77;

struct Timing {
  double seconds = 1e300;  // best wall time of one call
  double cpu_seconds = 0;  // process CPU time of that call: ~threads x seconds unless starved
};

// Best time per call of fn over repeats lasting at least min_seconds in all (after a warm-up):
// best-of damps the other jobs of a shared machine.
Timing best_of(const std::function<void()>& fn, double min_seconds, int min_repeats = 3) {
  fn();  // warm-up: allocator, oneDNN/OpenBLAS kernels, caches
  Timing best;
  double total = 0;
  for (int repeat = 0; repeat < min_repeats || total < min_seconds; ++repeat) {
    const std::clock_t cpu_start = std::clock();
    const auto start = Clock::now();
    fn();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds < best.seconds) {
      best = {seconds, static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC};
    }
    total += seconds;
  }
  return best;
}

// Multiply-adds counted as 2 FLOPs, matrix products only (LayerNorm, softmax, GELU are not).
double block_flops(int64_t tokens, int64_t width, int64_t intermediate) {
  const double l = static_cast<double>(tokens), w = static_cast<double>(width);
  const double qkv_out = 2 * l * w * (4 * w);              // q, k, v and out projections
  const double attention = 2 * (2 * l * l * w);            // scores and context, all heads
  const double mlp = 2 * (2 * l * w * static_cast<double>(intermediate));
  return qkv_out + attention + mlp;
}

double image_flops(const hc::ClipConfig& c) {
  const auto& v = c.vision;
  const double patches = static_cast<double>(v.num_patches());
  const double patch_embedding =
      2 * patches * v.hidden_size * (v.num_channels * v.patch_size * v.patch_size);
  // encode_image projects the CLS token and every patch token (vision_patch_embeds).
  const double projection = 2 * (patches + 1) * v.hidden_size * c.projection_dim;
  return patch_embedding + v.num_layers * block_flops(v.num_positions(), v.hidden_size,
                                                      v.intermediate_size) +
         projection;
}

double text_flops(const hc::ClipConfig& c) {
  const auto& t = c.text;
  return t.num_layers * block_flops(kTextLength, t.hidden_size, t.intermediate_size) +
         2.0 * t.hidden_size * c.projection_dim;
}

struct GemmRate {
  double gflops = 0;
  double cpu_per_wall = 0;  // ~threads when the GEMM had the cores to itself
};

GemmRate gemm_rate(at::ScalarType dtype, double min_seconds) {
  const int64_t m = 1024, k = 768, n = 3072;
  const auto options = torch::TensorOptions().dtype(dtype);
  torch::Tensor a = torch::randn({m, k}).to(dtype), b = torch::randn({k, n}).to(dtype);
  torch::Tensor c = torch::empty({m, n}, options);
  const Timing timing = best_of([&] { torch::mm_out(c, a, b); }, min_seconds, 10);
  return {2.0 * m * n * k / timing.seconds / 1e9, timing.cpu_seconds / timing.seconds};
}

bool cpu_flag(const std::string& flag) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) == 0) return (line + " ").find(" " + flag + " ") != std::string::npos;
  }
  return false;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// Each case's fraction is of a GEMM rate measured just before it, so that both figures saw
// the same load on a shared machine.
// The variables that change CPU threading and allocation behaviour, as set for this run.
nlohmann::json environment() {
  nlohmann::json env = nlohmann::json::object();
  for (const char* name : {"OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
                           "OPENBLAS_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT",
                           "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD"}) {
    const char* value = std::getenv(name);
    env[name] = value ? nlohmann::json(value) : nlohmann::json(nullptr);
  }
  return env;
}

nlohmann::json run_cases(const hc::ClipConfig& config, at::ScalarType dtype, double min_seconds,
                         const std::vector<int64_t>& batches) {
  hc::ClipModel model = hc::random_clip(config, 0, torch::kCPU, dtype);
  model->eval();
  nlohmann::json cases = nlohmann::json::array();
  for (const char* tower : {"image", "text"}) {
    const bool image = std::string(tower) == "image";
    const double flops_per_item = image ? image_flops(config) : text_flops(config);
    for (int64_t batch : batches) {
      torch::Tensor input;
      if (image) {
        input = torch::randn({batch, 3, config.vision.image_size, config.vision.image_size})
                    .to(dtype);
      } else {
        // Random ids with the end token last: the full 77 positions are computed.
        input = torch::randint(1, 49000, {batch, kTextLength}, torch::kLong);
        input.select(1, kTextLength - 1).fill_(config.text.eos_token_id);
      }
      const GemmRate gemm = gemm_rate(dtype, 0.3);
      const Timing timing = best_of(
          [&] {
            torch::InferenceMode guard;
            if (image) {
              model->encode_image(input);
            } else {
              model->encode_text(input);
            }
          },
          min_seconds);
      const double seconds = timing.seconds;
      const double gflops = flops_per_item * batch / seconds / 1e9;
      cases.push_back({{"tower", tower},
                       {"batch", batch},
                       {"dtype", hc::scalar_type_label(dtype)},
                       {"seconds_per_batch", seconds},
                       {"cpu_seconds_per_batch", timing.cpu_seconds},
                       {image ? "images_per_s" : "texts_per_s", batch / seconds},
                       {"gflop_per_item", flops_per_item / 1e9},
                       {"gflops", gflops},
                       {"cpu_per_wall", timing.cpu_seconds / seconds},
                       {"gemm_gflops", gemm.gflops},
                       {"gemm_cpu_per_wall", gemm.cpu_per_wall},
                       {"fraction_of_gemm", gflops / gemm.gflops}});
      std::cerr << tower << " " << hc::scalar_type_label(dtype) << " batch " << batch << ": "
                << batch / seconds << " items/s, " << gflops << " GFLOP/s ("
                << 100 * gflops / gemm.gflops << "% of GEMM; CPU/wall "
                << timing.cpu_seconds / seconds << " vs GEMM's " << gemm.cpu_per_wall << ")"
                << std::endl;
    }
  }
  return cases;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 0;
    const double min_seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
    hc::use_compute_threads(threads);
    const hc::ClipConfig config = hc::builtin_clip_config("ViT-B-32");

    nlohmann::json gemm = nlohmann::json::object();
    nlohmann::json cases = nlohmann::json::array();
    std::vector<int64_t> batches;
    for (const std::string& b : split(argc > 3 ? argv[3] : "1,8,64")) batches.push_back(std::stoll(b));
    std::string bf16_status = "not asked for";
    std::vector<at::ScalarType> dtypes;
    for (const std::string& name : split(argc > 4 ? argv[4] : "fp32,bf16")) {
      const at::ScalarType dtype = hc::parse_scalar_type(name);
      if (dtype == at::kBFloat16) {
        try {
          hc::require_dtype_support(torch::kCPU, dtype);
          bf16_status = "measured";
        } catch (const hc::Error& e) {
          bf16_status = std::string("skipped: ") + e.what();
          continue;
        }
      }
      dtypes.push_back(dtype);
    }
    for (at::ScalarType dtype : dtypes) {
      const GemmRate rate = gemm_rate(dtype, min_seconds);
      gemm[hc::scalar_type_label(dtype)] = {{"shape_mkn", {1024, 768, 3072}},
                                            {"gflops", rate.gflops},
                                            {"cpu_per_wall", rate.cpu_per_wall}};
      std::cerr << "GEMM " << hc::scalar_type_label(dtype) << ": " << rate.gflops << " GFLOP/s"
                << std::endl;
      for (auto& item : run_cases(config, dtype, min_seconds, batches)) cases.push_back(item);
    }

    const nlohmann::json result = {
        {"bench", "clip_forward"},
        {"model", "ViT-B-32 shapes, random init (random_clip)"},
        {"device", "cpu"},
        {"threads", at::get_num_threads()},
        {"torch_version", TORCH_VERSION},
        {"text_length", kTextLength},
        {"flops", "2*M*N*K per matrix product (patch embedding, q/k/v/out, attention scores "
                  "and context, MLP, projections); texts at 77 tokens"},
        {"timing", "best of >= 3 repeats after a warm-up, at least MIN_SECONDS per case; "
                   "fraction_of_gemm against gemm_gflops measured just before the case; on a shared "
                   "machine compare cpu_per_wall with gemm_cpu_per_wall (unequal = unequal "
                   "shares of the cores)"},
        {"parallel", at::get_parallel_info()},
        {"environment", environment()},
        {"cpu_avx512_bf16", cpu_flag("avx512_bf16")},
        {"cpu_amx_bf16", cpu_flag("amx_bf16")},
        {"blas_kernels", hc::blas_kernels()},
        {"bf16", bf16_status},
        {"gemm", gemm},
        {"cases", cases},
        {"machine", hc::machine_info()},
    };
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_clip_forward: " << e.what() << std::endl;
    return e.exit_code();
  }
}
