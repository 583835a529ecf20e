// The trainer's ablation switches and gradient accumulation: a fixed root stays where it was
// put while the text tower trains; a learned root is the one tensor that moves; accumulated
// micro-batches give the whole batch's gradients (for the terms that are means over the batch);
// the entailment-cone objective computes the margin loss as documented.
#include "catch_torch.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "hc/core/error.h"

#include "hc/data/hierarcaps_train.h"
#include "hc/model/clip_config.h"
#include "hc/model/clip_model.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/re_loss.h"
#include "hc/train/re_text_batch.h"
#include "hc/train/re_trainer.h"
#include "test_support.h"

namespace {

hc::ClipTokenizer tokenizer() {
  return hc::ClipTokenizer::load(hc::test::shared_path("fixtures/model/tiny-quickgelu"));
}

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

std::map<std::string, torch::Tensor> snapshot(hc::ClipModel& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : model->named_parameters()) out[item.key()] = item.value().detach().clone();
  return out;
}

std::size_t changed(hc::ClipModel& model, const std::map<std::string, torch::Tensor>& before) {
  std::size_t count = 0;
  for (const auto& item : model->named_parameters()) {
    count += torch::equal(item.value(), before.at(item.key())) ? 0 : 1;
  }
  return count;
}

}  // namespace

TEST_CASE("ReTrainer: a fixed root stays, the text tower trains", "[train][roots]") {
  hc::ReTrainerOptions options;
  options.optimizer.learning_rate = 1e-3;
  options.root = hc::TrainedRoot::Fixed;
  const torch::Tensor given = torch::randn({32});
  options.root_value = given;
  hc::ReTrainer trainer(tiny_model(1), tiny_model(1), tokenizer(), 0, options);
  const auto before = snapshot(trainer.model());
  const auto data = rows(3);
  const hc::ReStep step = trainer.step(hc::re_text_batch(data, 0, 3, options.loss));
  CHECK(torch::allclose(step.root, given / given.norm()));
  CHECK(torch::allclose(trainer.current_root(), given / given.norm()));
  CHECK(changed(trainer.model(), before) > 0);
  CHECK(trainer.trained_parameters().size() == trainer.trained_parameter_names().size());

  options.root_value = torch::zeros({32});  // the origin stays the origin
  hc::ReTrainer at_origin(tiny_model(1), tiny_model(1), tokenizer(), 0, options);
  CHECK(torch::equal(at_origin.current_root(), torch::zeros({32})));
  const hc::ReStep origin_step = at_origin.step(hc::re_text_batch(data, 0, 3, options.loss));
  CHECK(std::isfinite(origin_step.loss.total.item<double>()));
}

TEST_CASE("ReTrainer: learning only the root moves the root alone", "[train][roots]") {
  hc::ReTrainerOptions options;
  options.optimizer.learning_rate = 1e-2;
  options.root = hc::TrainedRoot::Learned;
  const torch::Tensor initial = torch::randn({32});
  options.root_value = initial;
  hc::ReTrainer trainer(tiny_model(1), tiny_model(1), tokenizer(), 0, options);
  REQUIRE(trainer.trained_parameter_names() == std::vector<std::string>{"root"});
  const auto before = snapshot(trainer.model());
  const auto data = rows(3);
  for (int i = 0; i < 3; ++i) trainer.step(hc::re_text_batch(data, 0, 3, options.loss));
  CHECK(changed(trainer.model(), before) == 0);
  CHECK_FALSE(torch::allclose(trainer.current_root(), initial / initial.norm()));
  CHECK(std::abs(trainer.current_root().norm().item<double>() - 1) < 1e-6);
}

TEST_CASE("ReTrainer: accumulated micro-batches give the whole batch's gradient",
          "[train][roots]") {
  hc::ReTrainerOptions options;
  options.loss.lambda_m = 0;  // hard mining picks per batch: not a mean over rows
  const auto data = rows(4);
  hc::ReTrainer whole(tiny_model(2), tiny_model(3), tokenizer(), 0, options);
  hc::ReTrainer parts(tiny_model(2), tiny_model(3), tokenizer(), 0, options);
  whole.compute_gradients(hc::re_text_batch(data, 0, 4, options.loss));
  parts.zero_grad();
  parts.accumulate(hc::re_text_batch(data, 0, 1, options.loss), 0.25);
  parts.accumulate(hc::re_text_batch(data, std::vector<std::size_t>{1, 2, 3}, options.loss), 0.75);
  const auto a = whole.trained_parameters();
  const auto b = parts.trained_parameters();
  // Relative to the largest gradient entry of all: some tensors' gradients are 0 but for
  // rounding (a key bias shifts every score of a query alike, which the softmax ignores).
  double worst = 0, scale = 0;
  for (const auto& item : a) {
    const torch::Tensor& grad = item.value().grad();
    REQUIRE(grad.defined());
    REQUIRE(b[item.key()].grad().defined());
    worst = std::max(worst, (grad - b[item.key()].grad()).abs().max().item<double>());
    scale = std::max(scale, grad.abs().max().item<double>());
  }
  REQUIRE(scale > 0);
  CHECK(worst / scale < 1e-4);
}

TEST_CASE("re_loss: the entailment-cone objective", "[train][roots]") {
  torch::manual_seed(5);
  const int64_t items = 3;
  hc::ReLossOptions options;
  options.objective = "ec";
  options.ec_margin = 0.2;
  options.ec_aperture = 0.3;
  const torch::Tensor text = torch::nn::functional::normalize(
      torch::randn({8 * items, 6}, torch::kDouble), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor root = 0.1 * torch::randn({6}, torch::kDouble);
  const hc::ReLoss loss = hc::re_loss(text, text, root, options);
  // By hand: tier t's apex is positive level t; P and N hold the exterior angles as with "re".
  double positive = 0, negative = 0;
  for (int64_t t = 0; t < 3; ++t) {
    for (int64_t k = 0; k < items; ++k) {
      const torch::Tensor x = text[t * items + k];
      const double psi = std::asin(std::min(1.0, 0.3 / (x - root).norm().item<double>()));
      const double p = loss.P[t][k].item<double>(), n = -loss.N[t][k].item<double>();
      positive += std::max(0.0, 0.2 + p - psi);
      negative += std::max(0.0, 0.2 - (n - psi));
    }
  }
  const double want = (positive + negative) / static_cast<double>(3 * items);
  CHECK(loss.entailment.item<double>() == Approx(want).epsilon(1e-12));
  CHECK(loss.mining.item<double>() == 0);
  CHECK(loss.total.item<double>() == Approx(want).epsilon(1e-12));  // pullback 0: text == original
  const hc::ReLoss re = hc::re_loss(text, text, root, hc::ReLossOptions{});
  CHECK(torch::allclose(re.P, loss.P));
  options.objective = "cones";
  CHECK_THROWS_AS(hc::re_loss(text, text, root, options), hc::Error);
}
