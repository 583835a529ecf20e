// The pieces of an RE fine-tuning step: the processor-style padding, the checkpoint's pad id,
// the official text order, libtorch's AdamW against the operations torch 1.13 performs, and
// what the trainer trains, freezes and refuses.

#include "catch_torch.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/model/clip_config.h"
#include "hc/model/clip_model.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/padded_tokens.h"
#include "hc/train/re_text_batch.h"
#include "hc/train/re_trainer.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

fs::path model_dir() { return hc::test::shared_path("fixtures/model/tiny-quickgelu"); }

hc::ClipTokenizer tokenizer() { return hc::ClipTokenizer::load(model_dir()); }

std::vector<hc::HierarCapsTrainRow> rows(int count) {
  std::vector<hc::HierarCapsTrainRow> out(count);
  for (int r = 0; r < count; ++r) {
    for (int level = 0; level < 4; ++level) {
      out[r].positive[level] = "pos " + std::to_string(r) + " level " + std::to_string(level + 1);
      out[r].negative[level] = "neg " + std::to_string(r) + " level " + std::to_string(level + 1);
    }
  }
  return out;
}

hc::ClipModel tiny_model(uint64_t seed) {
  return hc::random_clip(hc::builtin_clip_config("tiny"), seed, torch::kCPU, torch::kFloat);
}

}  // namespace

TEST_CASE("pad_to_longest: the processor's padding=True, truncation=True", "[train]") {
  const auto tok = tokenizer();
  const int32_t pad = tok.eos_id();
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";

  auto short_only = hc::pad_to_longest(tok, {"", "a photo of a dog"}, 77, pad);
  const auto dog = tok.encode_with_specials("a photo of a dog");
  REQUIRE(short_only.input_ids.sizes() == torch::IntArrayRef({2, static_cast<int64_t>(dog.size())}));
  CHECK(short_only.input_ids[0][0].item<int64_t>() == tok.bos_id());
  CHECK(short_only.input_ids[0][1].item<int64_t>() == tok.eos_id());
  CHECK(short_only.attention_mask[0].sum().item<int64_t>() == 2);
  CHECK(short_only.attention_mask[1].sum().item<int64_t>() == static_cast<int64_t>(dog.size()));
  CHECK((short_only.input_ids[0].slice(0, 2) == pad).all().item<bool>());

  auto with_long = hc::pad_to_longest(tok, {"a photo of a dog", long_text}, 77, pad);
  REQUIRE(with_long.input_ids.size(1) == 77);
  CHECK(with_long.input_ids[1][76].item<int64_t>() == tok.eos_id());
  CHECK(with_long.attention_mask[1].sum().item<int64_t>() == 77);
  auto cut = hc::pad_to_longest(tok, {long_text}, 10, pad);
  CHECK(cut.input_ids.size(1) == 10);
  CHECK(cut.input_ids[0][9].item<int64_t>() == tok.eos_id());

  CHECK_THROWS_AS(hc::pad_to_longest(tok, {}, 77, pad), hc::Error);
  CHECK_THROWS_AS(hc::pad_to_longest(tok, {"a"}, 1, pad), hc::Error);
}

TEST_CASE("checkpoint_pad_id: the pad token the checkpoint's tokenizer files name", "[train]") {
  const auto tok = tokenizer();
  CHECK(hc::checkpoint_pad_id(model_dir(), tok) == tok.eos_id());

  hc::test::TempDir dir;
  CHECK(hc::checkpoint_pad_id(dir.path(), tok) == tok.eos_id());  // no files: end of text
  hc::test::write_bytes(dir / "tokenizer_config.json",
                        R"({"pad_token": {"content": "!", "normalized": false}})");
  CHECK(hc::checkpoint_pad_id(dir.path(), tok) == tok.encode("!").front());
  hc::test::write_bytes(dir / "special_tokens_map.json", R"({"pad_token": "<|endoftext|>"})");
  CHECK(hc::checkpoint_pad_id(dir.path(), tok) == tok.eos_id());  // special_tokens_map first
  hc::test::write_bytes(dir / "special_tokens_map.json", R"({"pad_token": "two words"})");
  CHECK_THROWS_WITH(hc::checkpoint_pad_id(dir.path(), tok),
                    Catch::Contains("special_tokens_map.json") && Catch::Contains("expected one"));
  hc::test::write_bytes(dir / "special_tokens_map.json", "{");
  CHECK_THROWS_WITH(hc::checkpoint_pad_id(dir.path(), tok),
                    Catch::Contains("special_tokens_map.json") && Catch::Contains("JSON"));
}

TEST_CASE("re_text_batch: train.py's flattening, level by level, positives then negatives",
          "[train]") {
  const auto data = rows(5);
  hc::ReLossOptions loss;
  auto batch = hc::re_text_batch(data, 1, 4, loss);
  REQUIRE(batch.items == 3);
  REQUIRE(batch.texts.size() == 24);
  CHECK(batch.texts[0] == "pos 1 level 1");
  CHECK(batch.texts[2] == "pos 3 level 1");
  CHECK(batch.texts[3] == "pos 1 level 2");
  CHECK(batch.texts[11] == "pos 3 level 4");
  CHECK(batch.texts[12] == "neg 1 level 1");
  CHECK(batch.texts[23] == "neg 3 level 4");

  loss.levels = {1, 3, 4};
  loss.tiers = 2;
  loss.negatives = false;
  batch = hc::re_text_batch(data, 0, 2, loss);
  CHECK(batch.texts == std::vector<std::string>{"pos 0 level 1", "pos 1 level 1", "pos 0 level 3",
                                                "pos 1 level 3", "pos 0 level 4", "pos 1 level 4"});

  CHECK_THROWS_AS(hc::re_text_batch(data, 2, 2, loss), hc::Error);
  CHECK_THROWS_AS(hc::re_text_batch(data, 3, 6, loss), hc::Error);
}

TEST_CASE("AdamW: libtorch performs torch 1.13's _single_tensor_adamw operations", "[train]") {
  // The README of fixtures/train_step, step 6, written out op by op in float32.
  const double lr = GENERATE(1e-3, 1e-7);
  const double wd = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  CAPTURE(lr);
  torch::manual_seed(7);
  auto p = torch::randn({257}).requires_grad_(true);
  auto reference = p.detach().clone();
  auto m = torch::zeros_like(reference), v = torch::zeros_like(reference);
  torch::optim::AdamW adamw(std::vector<torch::Tensor>{p}, torch::optim::AdamWOptions(lr).betas({beta1, beta2}).eps(eps)
                                     .weight_decay(wd));
  for (int t = 1; t <= 3; ++t) {
    auto g = torch::randn({257}) * 1e-3;
    g[0] = 0;  // an element without gradient: only the decay acts on it
    p.mutable_grad() = g.clone();
    adamw.step();

    reference.mul_(static_cast<float>(1 - lr * wd));
    m.mul_(beta1).add_(g, 1 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1 - beta2);
    const double bias1 = 1 - std::pow(beta1, t), bias2 = 1 - std::pow(beta2, t);
    auto denom = (v.sqrt() / std::sqrt(bias2)).add_(eps);
    reference.addcdiv_(m, denom, -lr / bias1);
    CHECK(p.detach().equal(reference));
  }
  // At train.py's default lr 1e-7, 1 - lr * wd rounds to 1.0f: the decay does nothing.
  const float decay = static_cast<float>(1 - lr * wd);
  CHECK((decay == 1.0f) == (lr == 1e-7));
}

TEST_CASE("ReTrainer: trains the text tower and projection, leaves the rest and the copy alone",
          "[train]") {
  hc::ReTrainerOptions options;
  options.optimizer.learning_rate = 1e-3;
  hc::ClipModel original = tiny_model(1);
  hc::ReTrainer trainer(tiny_model(1), original, tokenizer(), tokenizer().eos_id(), options);
  REQUIRE_FALSE(trainer.trained_parameter_names().empty());
  std::map<std::string, torch::Tensor> before;
  for (const auto& item : trainer.model()->named_parameters()) {
    CHECK(item.value().requires_grad() == hc::is_re_trained_parameter(item.key()));
    before[item.key()] = item.value().detach().clone();
  }
  std::map<std::string, torch::Tensor> original_before;
  for (const auto& item : original->named_parameters()) {
    original_before[item.key()] = item.value().detach().clone();
  }
  CHECK(trainer.model()->is_training());
  CHECK_FALSE(original->is_training());

  const auto data = rows(3);
  hc::ReStep step = trainer.step(hc::re_text_batch(data, 0, 3, options.loss));
  CHECK(step.step == 1);
  CHECK(trainer.steps_taken() == 1);
  CHECK(std::isfinite(step.loss.total.item<double>()));
  CHECK(step.loss.pullback.item<double>() == Approx(0).margin(1e-6));  // model == its copy
  CHECK(step.input_ids.size(0) == 24);
  for (const auto& item : trainer.model()->named_parameters()) {
    INFO(item.key());
    CHECK(item.value().detach().equal(before.at(item.key())) !=
          hc::is_re_trained_parameter(item.key()));
  }
  for (const auto& item : original->named_parameters()) {
    INFO(item.key());
    CHECK(item.value().detach().equal(original_before.at(item.key())));
    CHECK_FALSE(item.value().grad().defined());
  }
  // The second step sees a moved model: the pullback term is no longer 0.
  step = trainer.step(hc::re_text_batch(data, 0, 3, options.loss));
  CHECK(step.step == 2);
  CHECK(step.loss.pullback.item<double>() > 0);
}

TEST_CASE("ReTrainer: what it refuses", "[train]") {
  hc::ReTrainerOptions options;
  CHECK_THROWS_AS(hc::ReTrainer(tiny_model(1), hc::ClipModel(nullptr), tokenizer(), 0, options),
                  hc::Error);  // the pullback term needs the original model
  hc::ClipModel half = tiny_model(1);
  half->to(torch::kBFloat16);
  CHECK_THROWS_WITH(hc::ReTrainer(half, tiny_model(1), tokenizer(), 0, options),
                    Catch::Contains("fp32"));
  options.optimizer.betas = {0.9};
  CHECK_THROWS_AS(hc::ReTrainer(tiny_model(1), tiny_model(1), tokenizer(), 0, options), hc::Error);

  // Without the pullback term no original model is needed.
  hc::ReTrainerOptions no_pullback;
  no_pullback.loss.lambda_p = 0;
  hc::ReTrainer trainer(tiny_model(1), hc::ClipModel(nullptr), tokenizer(), 0, no_pullback);
  const auto data = rows(2);
  hc::ReStep step = trainer.step(hc::re_text_batch(data, 0, 2, no_pullback.loss));
  CHECK_FALSE(step.original.defined());
  CHECK(step.loss.pullback.item<double>() == 0);
}
