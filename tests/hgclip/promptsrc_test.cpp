// PromptSRC on the fixture's tiny CLIP: the frozen side (template-averaged text features, plain
// image features, their logits) and each self-regulating term against an independent
// recomputation from the features the model exposes; a training step reaches exactly the prompt
// tensors; the Gaussian prompt aggregation's weights and its result after two epochs by hand,
// and its state surviving a save and load as a resumed run needs.
#include "catch_torch.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/hgclip/hgclip_method.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/hgclip/promptsrc_clip.h"
#include "hc/model/clip_bundle.h"
#include "hc/text/clip_tokenizer.h"
#include "test_support.h"
#include "tiny_method_setup.h"

namespace {

namespace F = torch::nn::functional;

using hc::test::fixture_clip;
using hc::test::shapes;

hc::HgclipOptions tiny_options() {
  hc::HgclipOptions options;
  options.vision_depth = 3;
  options.language_depth = 3;
  options.promptsrc_text_weight = 25.0;
  options.promptsrc_image_weight = 10.0;
  return options;
}

torch::Tensor pixels_for(const hc::ClipBundle& clip, int64_t batch, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t size = clip.model->config().vision.image_size;
  return torch::randn({batch, 3, size, size});
}

// Moves every learnable tensor away from its start, so the prompted side differs from CLIP's.
void perturb(const std::vector<std::pair<std::string, at::Tensor>>& params, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : params) tensor.add_(torch::randn(tensor.sizes()) * 0.3);
}

std::map<std::string, torch::Tensor> snapshot(
    const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  std::map<std::string, torch::Tensor> copy;
  for (const auto& [name, tensor] : tensors) copy[name] = tensor.detach().clone();
  return copy;
}

torch::Tensor term(const std::vector<std::pair<std::string, at::Tensor>>& terms,
                   const std::string& name) {
  for (const auto& [key, value] : terms) {
    if (key == name) return value;
  }
  FAIL("no loss term " << name);
  return {};
}

}  // namespace

TEST_CASE("promptsrc: the frozen CLIP's side and each self-regulating term, recomputed",
          "[hgclip][promptsrc]") {
  hc::ClipBundle clip = fixture_clip();
  const hc::ClassHierarchy hierarchy = shapes();
  const hc::HgclipOptions options = tiny_options();
  hc::PromptSrcClip model(clip.model, clip.tokenizer, hierarchy, options);
  perturb(model->learnable_parameters(), 3);
  const torch::Tensor pixels = pixels_for(clip, 3, 4);
  const hc::PromptSrcOutput out = model->forward(pixels);

  // The frozen text features: the mean of the plain text features over CLIP's 60 ImageNet
  // templates, class names with spaces for underscores.
  const auto& templates = hc::promptsrc_templates();
  REQUIRE(templates.size() == 60);
  CHECK(templates.front() == "a photo of a {}.");
  CHECK(templates.back() == "itap of the {}.");
  torch::Tensor sum;
  {
    torch::NoGradGuard no_grad;
    for (const std::string& pattern : templates) {
      std::vector<std::string> texts;
      for (std::string name : hierarchy.all_classes()) {
        std::replace(name.begin(), name.end(), '_', ' ');
        const std::size_t at = pattern.find("{}");
        texts.push_back(pattern.substr(0, at) + name + pattern.substr(at + 2));
      }
      const hc::TokenBatch tokens = clip.tokenizer.batch(texts);
      const torch::Tensor ids =
          torch::tensor(tokens.ids, torch::kLong).view({tokens.rows, tokens.length});
      const torch::Tensor features = clip.model->encode_text(ids).text_embeds;
      sum = sum.defined() ? sum + features : features;
    }
  }
  const torch::Tensor fixed = F::normalize(sum / 60.0, F::NormalizeFuncOptions().dim(-1));
  REQUIRE(out.fixed_text_features.sizes() == fixed.sizes());
  CHECK(torch::allclose(out.fixed_text_features, fixed, 1e-5, 1e-6));

  torch::Tensor plain_image;
  {
    torch::NoGradGuard no_grad;
    plain_image = clip.model->encode_image(pixels).image_embeds;
  }
  const torch::Tensor zero_shot = F::normalize(plain_image, F::NormalizeFuncOptions().dim(-1));
  CHECK(torch::allclose(out.zero_shot_features, zero_shot, 1e-5, 1e-6));
  CHECK(torch::allclose(out.zero_shot_logits, clip.model->logits_per_image(plain_image, sum),
                        1e-4, 1e-5));
  const double scale = clip.model->logit_scale.exp().item<double>();
  CHECK(torch::allclose(out.logits,
                        scale * torch::mm(out.image_features, out.text_features.t()), 1e-4, 1e-5));
  CHECK_FALSE(torch::allclose(out.image_features, out.zero_shot_features, 1e-3, 1e-3));

  // The terms: torch's own L1 and KL (KL(p0 || p), sum over a level divided by its size), the
  // KL averaged over levels.
  const auto terms = model->promptsrc_losses();
  REQUIRE(terms.size() == 3);
  const torch::Tensor text = 25.0 * F::l1_loss(out.text_features, out.fixed_text_features);
  const torch::Tensor image = 10.0 * F::l1_loss(out.image_features, out.zero_shot_features);
  CHECK(term(terms, "scl_text").item<double>() == Approx(text.item<double>()).epsilon(1e-6));
  CHECK(term(terms, "scl_image").item<double>() == Approx(image.item<double>()).epsilon(1e-6));
  double kl = 0;
  int64_t start = 0;
  const std::vector<int64_t> sizes = hierarchy.level_sizes();
  for (int64_t size : sizes) {
    const torch::Tensor p = out.logits.narrow(1, start, size);
    const torch::Tensor p0 = out.zero_shot_logits.narrow(1, start, size);
    kl += F::kl_div(F::log_softmax(p, F::LogSoftmaxFuncOptions(1)),
                    F::log_softmax(p0, F::LogSoftmaxFuncOptions(1)),
                    F::KLDivFuncOptions().reduction(torch::kSum).log_target(true))
              .item<double>() /
          static_cast<double>(p.numel());
    start += size;
  }
  kl /= static_cast<double>(sizes.size());
  CHECK(kl > 0);
  CHECK(term(terms, "scl_logits").item<double>() == Approx(kl).epsilon(1e-5));

  // Evaluation (no gradients) runs the prompted side only, and leaves no terms.
  torch::NoGradGuard no_grad;
  const hc::PromptSrcOutput eval = model->forward(pixels);
  CHECK(torch::allclose(eval.logits, out.logits));
  CHECK_FALSE(eval.zero_shot_logits.defined());
  CHECK(model->promptsrc_losses().empty());
}

TEST_CASE("promptsrc: a training step reaches exactly the prompt tensors; they round-trip",
          "[hgclip][promptsrc]") {
  hc::ClipBundle clip = fixture_clip();
  const hc::ClassHierarchy hierarchy = shapes();
  const hc::HgclipOptions options = tiny_options();
  auto classifier = hc::make_hierarchical_classifier(hc::HgclipMethod::Promptsrc, clip.model,
                                                     clip.tokenizer, hierarchy, options, {});
  // The official names: the ctx, the vision input prompts, blocks 1..depth-1 of both towers.
  std::vector<std::string> want = {"prompt_learner.ctx", "image_encoder.VPT"};
  for (int i = 1; i < options.vision_depth; ++i) {
    want.push_back("image_encoder.transformer.resblocks." + std::to_string(i) + ".VPT_shallow");
  }
  for (int i = 1; i < options.language_depth; ++i) {
    want.push_back("text_encoder.transformer.resblocks." + std::to_string(i) + ".VPT_shallow");
  }
  const auto learnable = classifier->learnable_parameters();
  std::vector<std::string> names;
  for (const auto& [name, tensor] : learnable) names.push_back(name);
  CHECK(names == want);

  const torch::Tensor pixels = pixels_for(clip, 2, 5);
  const torch::Tensor logits = classifier->logits(pixels);
  const auto extras = classifier->extra_losses();
  REQUIRE(extras.size() == 3);
  const std::vector<torch::Tensor> levels =
      hc::split_level_logits(logits, hierarchy.level_sizes());
  torch::Tensor loss = F::cross_entropy(levels[0], torch::tensor({0, 1}, torch::kLong)) +
                       F::cross_entropy(levels[1], torch::tensor({2, 0}, torch::kLong));
  for (const auto& [name, value] : extras) loss = loss + value;
  std::vector<torch::Tensor> trained;
  for (const auto& [name, tensor] : learnable) trained.push_back(tensor);
  torch::optim::SGD sgd(trained, torch::optim::SGDOptions(0.1));
  const auto before = snapshot(learnable);
  loss.backward();
  for (const auto& [name, tensor] : learnable) {
    CAPTURE(name);
    REQUIRE(tensor.grad().defined());
    CHECK(tensor.grad().abs().sum().item<double>() > 0);
  }
  for (const auto& param : clip.model->parameters()) CHECK_FALSE(param.grad().defined());
  sgd.step();
  for (const auto& [name, tensor] : learnable) CHECK_FALSE(torch::equal(tensor, before.at(name)));

  // A fresh classifier given the saved tensors gives the same logits.
  auto loaded = hc::make_hierarchical_classifier(hc::HgclipMethod::Promptsrc, clip.model,
                                                 clip.tokenizer, hierarchy, options, {});
  loaded->load_learnable_parameters(snapshot(learnable), "saved");
  torch::NoGradGuard no_grad;
  CHECK(torch::allclose(loaded->logits(pixels), classifier->logits(pixels)));
  CHECK_FALSE(torch::allclose(loaded->logits(pixels), logits.detach(), 1e-4, 1e-4));
}

TEST_CASE("promptsrc: Gaussian prompt aggregation weights and prompts after two epochs",
          "[hgclip][promptsrc]") {
  // The official weights: the normal pdf at epochs 1..N, normalised (PromptSRC: N 20, mean 15,
  // std 1).
  const std::vector<double> official = hc::gpa_weights(20, 15.0, 1.0);
  REQUIRE(official.size() == 20);
  double total = 0;
  for (int e = 1; e <= 20; ++e) {
    total += std::exp(-0.5 * (e - 15.0) * (e - 15.0)) / std::sqrt(2 * M_PI);
  }
  for (int e = 1; e <= 20; ++e) {
    const double pdf = std::exp(-0.5 * (e - 15.0) * (e - 15.0)) / std::sqrt(2 * M_PI);
    CAPTURE(e);
    CHECK(official[static_cast<std::size_t>(e - 1)] == Approx(pdf / total).epsilon(1e-12));
  }
  // Far from the mean the weights still sum to one (no underflow to 0 / 0).
  const std::vector<double> far = hc::gpa_weights(2, 100.0, 1.0);
  CHECK(far[0] + far[1] == Approx(1.0));
  CHECK(far[1] == Approx(1.0));

  // Two epochs, mean 2, std 1: w1 = e^-1/2 / (1 + e^-1/2), w2 = 1 / (1 + e^-1/2).
  const double w1 = std::exp(-0.5) / (1 + std::exp(-0.5));
  const double w2 = 1 / (1 + std::exp(-0.5));
  const std::vector<double> two = hc::gpa_weights(2, 2.0, 1.0);
  CHECK(two[0] == Approx(w1).epsilon(1e-12));
  CHECK(two[1] == Approx(w2).epsilon(1e-12));

  hc::ClipBundle clip = fixture_clip();
  hc::HgclipOptions options = tiny_options();
  options.gpa_mean = 2.0;
  options.gpa_std = 1.0;
  auto run = hc::make_hierarchical_classifier(hc::HgclipMethod::Promptsrc, clip.model,
                                              clip.tokenizer, shapes(), options, {});
  const auto params = run->learnable_parameters();
  perturb(params, 7);
  const auto epoch1 = snapshot(params);
  run->end_epoch(1, 2);
  for (const auto& [name, tensor] : params) CHECK(torch::equal(tensor, epoch1.at(name)));
  const auto state = snapshot(run->training_state());
  CHECK(state.size() == params.size());
  perturb(params, 8);
  const auto epoch2 = snapshot(params);
  run->end_epoch(2, 2);
  for (const auto& [name, tensor] : params) {
    CAPTURE(name);
    const torch::Tensor want = w1 * epoch1.at(name) + w2 * epoch2.at(name);
    CHECK(torch::allclose(tensor, want, 1e-6, 1e-7));
  }

  // Resumed between the epochs: a fresh classifier with the saved tensors and state ends
  // identical.
  auto resumed = hc::make_hierarchical_classifier(hc::HgclipMethod::Promptsrc, clip.model,
                                                  clip.tokenizer, shapes(), options, {});
  resumed->load_learnable_parameters(epoch1, "checkpoint");
  resumed->load_training_state(state, "checkpoint");
  resumed->load_learnable_parameters(epoch2, "epoch 2");
  resumed->end_epoch(2, 2);
  const auto got = snapshot(resumed->learnable_parameters());
  for (const auto& [name, tensor] : params) CHECK(torch::equal(got.at(name), tensor));
  // Without the state the result differs: the state matters.
  auto forgetful = hc::make_hierarchical_classifier(hc::HgclipMethod::Promptsrc, clip.model,
                                                    clip.tokenizer, shapes(), options, {});
  forgetful->load_learnable_parameters(epoch2, "epoch 2");
  forgetful->end_epoch(2, 2);
  CHECK_FALSE(torch::equal(forgetful->learnable_parameters().front().second,
                           params.front().second));
  std::map<std::string, torch::Tensor> wrong = state;
  wrong.erase(wrong.begin());
  CHECK_THROWS_AS(resumed->load_training_state(wrong, "bad"), hc::Error);
}
