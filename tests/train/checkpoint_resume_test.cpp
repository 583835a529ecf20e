// A tiny CLIP trained with a learned prompt and a root, saved as one checkpoint folder (model,
// extras, training state), reloads with bit-identical outputs and extras, and resumes training
// to the same weights as the run that never stopped.
#include "catch_torch.h"

#include <filesystem>
#include <memory>
#include <string>

#include "../model/model_test_util.h"
#include "hc/model/checkpoint.h"
#include "hc/model/clip_model.h"
#include "hc/train/training_state.h"
#include "scoped_env.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kSteps = 4;
constexpr int64_t kSavedAt = 2;

// The trainable pieces of a run: the model, a learned prompt (a free tensor), its optimiser.
struct ClipRun {
  hc::ClipModel model{nullptr};
  torch::Tensor prompt;
  torch::Tensor root;  // saved as an extra, not trained
  std::unique_ptr<torch::optim::AdamW> optimizer;
  hc::TrainingState state;

  void make_optimizer() {
    std::vector<torch::Tensor> parameters = model->parameters();
    parameters.push_back(prompt);
    optimizer = std::make_unique<torch::optim::AdamW>(parameters, torch::optim::AdamWOptions(1e-3));
  }

  torch::OrderedDict<std::string, torch::Tensor> named() const {
    auto named = model->named_parameters();
    named.insert("prompt.context", prompt);
    return named;
  }

  // A CLIP loss on a few fixture texts and images, the prompt pulled towards the text pooling,
  // and noise from torch's generator so its state matters.
  void step(const torch::Tensor& ids, const torch::Tensor& pixels) {
    optimizer->zero_grad();
    const auto text = model->encode_text(ids);
    const auto image = model->encode_image(pixels + 0.01 * torch::randn_like(pixels));
    const auto logits = model->logits_per_image(image.image_embeds, text.text_embeds);
    const auto labels = torch::arange(logits.size(0));
    const auto loss = torch::cross_entropy_loss(logits, labels) +
                      (prompt - text.text_pooled.mean(0)).pow(2).mean();
    loss.backward();
    optimizer->step();
    ++state.global_step;
  }
};

ClipRun fresh_run(uint64_t seed) {
  ClipRun run;
  run.model = hc::random_clip(hc::builtin_clip_config("tiny"), seed, torch::kCPU, torch::kFloat);
  run.model->train();
  torch::manual_seed(seed);
  const int64_t width = run.model->config().text.hidden_size;
  run.prompt = (0.02 * torch::randn({width})).requires_grad_();
  run.root = torch::randn({run.model->config().projection_dim});
  run.make_optimizer();
  return run;
}

}  // namespace

TEST_CASE("A tiny CLIP with extras and training state reloads and resumes bit-identical",
          "[train][checkpoint]") {
  hc::test::TempDir cache;
  hc::test::ScopedEnv env;
  env.set("HC_CACHE_DIR", cache.path().string());
  const auto expected =
      hc::test::read_tensors(hc::test::model_fixture("tiny-quickgelu") / "expected.safetensors");
  const torch::Tensor ids = expected.at("input_ids").slice(0, 0, 3);
  const torch::Tensor pixels = hc::test::fixture_pixels("tiny-quickgelu").slice(0, 0, 3);

  ClipRun straight = fresh_run(7);
  for (int64_t i = 0; i < kSteps; ++i) straight.step(ids, pixels);

  hc::test::TempDir dir;
  const fs::path folder = dir / "ckpt";
  torch::Tensor text_before, image_before, prompt_saved, root_saved;
  {
    ClipRun first = fresh_run(7);
    for (int64_t i = 0; i < kSavedAt; ++i) first.step(ids, pixels);
    hc::ClipCheckpointOptions options;
    options.vocabulary = hc::test::model_fixture("tiny-quickgelu");
    options.extra_tensors = {{"prompt.context", first.prompt}, {"root", first.root}};
    options.write_more = [&](const fs::path& temp) {
      first.state.rng = hc::capture_rng_states();
      hc::save_training_state(temp, first.state, *first.optimizer, first.named());
    };
    hc::save_clip_checkpoint(*first.model, folder, options);
    first.model->eval();
    torch::NoGradGuard no_grad;
    text_before = first.model->encode_text(ids).text_embeds;
    image_before = first.model->encode_image(pixels).image_embeds;
    prompt_saved = first.prompt.detach().clone();
    root_saved = first.root.clone();
  }
  torch::randn({1000});  // other draws between the runs must not matter

  // Reload: outputs and extras exactly as saved.
  hc::ClipCheckpoint loaded = hc::load_clip_checkpoint(folder, torch::kCPU, torch::kFloat);
  {
    torch::NoGradGuard no_grad;
    CHECK(torch::equal(loaded.model->encode_text(ids).text_embeds, text_before));
    CHECK(torch::equal(loaded.model->encode_image(pixels).image_embeds, image_before));
  }
  REQUIRE(loaded.extra_tensors.size() == 2);
  CHECK(torch::equal(loaded.extra_tensors.at("prompt.context"), prompt_saved));
  CHECK(torch::equal(loaded.extra_tensors.at("root"), root_saved));
  REQUIRE(hc::has_training_state(folder));

  // Resume in fresh objects and finish the run.
  ClipRun resumed;
  resumed.model = loaded.model;
  resumed.model->train();
  resumed.prompt = loaded.extra_tensors.at("prompt.context").requires_grad_();
  resumed.make_optimizer();
  resumed.state = hc::load_training_state(folder, *resumed.optimizer, resumed.named());
  hc::restore_rng_states(resumed.state.rng);
  CHECK(resumed.state.global_step == kSavedAt);
  while (resumed.state.global_step < kSteps) resumed.step(ids, pixels);

  auto want = straight.model->named_parameters();
  for (const auto& item : resumed.model->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), want[item.key()]));
  }
  CHECK(torch::equal(resumed.prompt, straight.prompt));
}
