// bench_finetune_step [THREADS] [MIN_SECONDS] [BATCH]: one RE fine-tuning step (hc-finetune's,
// docs/hc-finetune.md) of a ViT-B/32-shaped text tower on the CPU (defaults: all cores, 20 s,
// batch 8 rows = 64 texts). Random weights (random_clip "ViT-B-32") for the model trained and
// the frozen original; the batch is the first BATCH rows of the HierarCaps expanded set when
// $HC_SHARED_DIR has it (real caption lengths), else generated rows of similar length.
// Reports steps/s and texts/s, the time split between data (batch texts, tokenising), forward
// (root, texts, original model, loss), backward and the optimiser (AdamW over the text tower),
// and the achieved GFLOP/s (matrix products counted analytically as in clip_forward.cpp, at the
// batch's padded length: forward of the trained model + 2x for its backward + the original's
// forward) beside a GEMM rate measured in the same run. Prints one JSON object.
#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/machine_info.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/model/clip_model.h"
#include "hc/tensor/compute_threads.h"
#include "hc/tensor/device.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/optimizer_options.h"
#include "hc/train/padded_tokens.h"
#include "hc/train/re_loss.h"
#include "hc/train/re_text_batch.h"
#include "hc/train/re_trainer.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double block_flops(double tokens, double width, double intermediate) {
  return 2 * tokens * width * (4 * width) + 2 * (2 * tokens * tokens * width) +
         2 * (2 * tokens * width * intermediate);
}

// Forward FLOPs of the text tower over `texts` sequences of `length` tokens.
double text_flops(const hc::ClipConfig& c, double texts, double length) {
  const auto& t = c.text;
  return texts * (t.num_layers * block_flops(length, t.hidden_size, t.intermediate_size) +
                  2.0 * t.hidden_size * c.projection_dim);
}

double gemm_gflops() {
  const int64_t m = 1024, k = 768, n = 3072;
  torch::Tensor a = torch::randn({m, k}), b = torch::randn({k, n}), c = torch::empty({m, n});
  torch::mm_out(c, a, b);
  double best = 1e300;
  for (int i = 0; i < 10; ++i) {
    const auto start = Clock::now();
    torch::mm_out(c, a, b);
    best = std::min(best, since(start));
  }
  return 2.0 * m * n * k / best / 1e9;
}

std::vector<hc::HierarCapsTrainRow> batch_rows(std::size_t batch) {
  const char* shared = std::getenv("HC_SHARED_DIR");
  const fs::path expanded =
      fs::path(shared ? shared : "../shared") / "data/hierarcaps/hierarcaps_test_expanded.csv.gz";
  if (fs::exists(expanded)) {
    auto rows = hc::load_hierarcaps_train(expanded).rows;
    rows.resize(std::min(batch, rows.size()));
    return rows;
  }
  std::vector<hc::HierarCapsTrainRow> rows(batch);
  for (auto& row : rows) {
    row.positive = {"animal", "brown dog", "a brown dog on the grass",
                    "A brown dog lying on the green grass next to a red ball."};
    row.negative = {"vehicle", "black cat", "a brown dog on the road",
                    "A brown dog lying on the green grass next to a blue chair."};
  }
  return rows;
}

hc::ClipTokenizer tokenizer() {
  const char* shared = std::getenv("HC_SHARED_DIR");
  const fs::path folder = fs::path(shared ? shared : "../shared") / "data/clip-tokenizer";
  if (fs::exists(folder)) return hc::ClipTokenizer::load(folder);
  const char* vocab = std::getenv("HC_VOCAB");
  if (!vocab) throw hc::usage_error("bench_finetune_step: set HC_SHARED_DIR or HC_VOCAB");
  return hc::ClipTokenizer::load(vocab);
}

struct Phases {
  double data = 0, forward = 0, backward = 0, optimizer = 0;
  double total() const { return data + forward + backward + optimizer; }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 0;
    const double min_seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
    const auto batch = static_cast<std::size_t>(argc > 3 ? std::atoi(argv[3]) : 8);
    hc::use_compute_threads(threads);
    const hc::ClipConfig config = hc::builtin_clip_config("ViT-B-32");
    hc::ClipModel model = hc::random_clip(config, 0, torch::kCPU, torch::kFloat);
    hc::ClipModel original = hc::random_clip(config, 0, torch::kCPU, torch::kFloat);
    original->eval();
    for (auto& p : original->parameters()) p.set_requires_grad(false);
    hc::NamedParameters trained;
    for (auto& item : model->named_parameters()) {
      const bool train = hc::is_re_trained_parameter(item.key());
      item.value().set_requires_grad(train);
      if (train) trained.insert(item.key(), item.value());
    }
    auto optimizer = hc::make_optimizer(hc::OptimizerOptions(1e-7), trained);
    const hc::ClipTokenizer tok = tokenizer();
    const auto rows = batch_rows(batch);
    const hc::ReLossOptions loss_options;
    const int32_t pad = tok.eos_id();

    Phases sum;
    int64_t steps = 0, padded_length = 0, texts = 0;
    const double gemm = gemm_gflops();
    const auto run_start = Clock::now();
    for (bool warm_up = true; warm_up || since(run_start) < min_seconds || steps < 3;) {
      Phases phase;
      auto start = Clock::now();
      const hc::ReTextBatch texts_batch = hc::re_text_batch(rows, 0, rows.size(), loss_options);
      const hc::PaddedTokens tokens = hc::pad_to_longest(tok, texts_batch.texts, 77, pad);
      const hc::PaddedTokens empty = hc::pad_to_longest(tok, {""}, 77, pad);
      phase.data = since(start);
      start = Clock::now();
      optimizer->zero_grad();
      const auto root = hc::official_unit_rows(
          model->encode_text(empty.input_ids, empty.attention_mask).text_embeds)[0];
      const auto text = hc::official_unit_rows(
          model->encode_text(tokens.input_ids, tokens.attention_mask).text_embeds);
      torch::Tensor orig;
      {
        torch::NoGradGuard no_grad;
        orig = hc::official_unit_rows(
            original->encode_text(tokens.input_ids, tokens.attention_mask).text_embeds);
      }
      const hc::ReLoss loss = hc::re_loss(text, orig, root, loss_options);
      phase.forward = since(start);
      start = Clock::now();
      loss.total.backward();
      phase.backward = since(start);
      start = Clock::now();
      optimizer->step();
      phase.optimizer = since(start);
      padded_length = tokens.input_ids.size(1);
      texts = tokens.input_ids.size(0);
      if (warm_up) {
        warm_up = false;
        continue;
      }
      sum.data += phase.data;
      sum.forward += phase.forward;
      sum.backward += phase.backward;
      sum.optimizer += phase.optimizer;
      ++steps;
    }
    const double step_s = sum.total() / static_cast<double>(steps);
    const double fwd = text_flops(config, static_cast<double>(texts),
                                  static_cast<double>(padded_length)) +
                       text_flops(config, 1, 2);
    const double step_flops = 3 * fwd + text_flops(config, static_cast<double>(texts),
                                                   static_cast<double>(padded_length));
    const double gflops = step_flops / step_s / 1e9;
    auto share = [&](double seconds) { return seconds / static_cast<double>(steps); };
    const nlohmann::json result = {
        {"bench", "finetune_step"},
        {"model", "ViT-B-32 text tower, random init; original model forward for the pullback"},
        {"device", "cpu"},
        {"threads", at::get_num_threads()},
        {"torch_version", TORCH_VERSION},
        {"batch_rows", rows.size()},
        {"texts_per_step", texts},
        {"padded_length", padded_length},
        {"steps_measured", steps},
        {"seconds_per_step", step_s},
        {"steps_per_s", 1 / step_s},
        {"texts_per_s", static_cast<double>(texts) / step_s},
        {"split_s", {{"data", share(sum.data)},
                     {"forward", share(sum.forward)},
                     {"backward", share(sum.backward)},
                     {"optimizer", share(sum.optimizer)}}},
        {"gflop_per_step", step_flops / 1e9},
        {"gflops", gflops},
        {"gemm_gflops", gemm},
        {"fraction_of_gemm", gflops / gemm},
        {"flops", "2*M*N*K per matrix product at the padded length; backward counted as 2x the "
                  "trained model's forward"},
        {"machine", hc::machine_info()},
    };
    std::cout << result.dump(2) << std::endl;
    return 0;
  } catch (const hc::Error& e) {
    std::cerr << "bench_finetune_step: " << e.what() << std::endl;
    return e.exit_code();
  }
}
