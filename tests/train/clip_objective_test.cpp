// The "FT with CLIP objective" ablation (loss.objective clip): the loss is CLIP's symmetric
// InfoNCE over the batch (recomputed here by hand from the step's own features), training on it
// lowers it, each row shows a seeded caption of its hierarchy per epoch, and a row whose image
// file is missing is an error naming the row and the path.
#include "catch_torch.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/data/synthetic_hierarcaps.h"
#include "hc/model/clip_config.h"
#include "hc/model/clip_model.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/train/data_order.h"
#include "hc/train/re_finetune_task.h"
#include "hc/train/re_trainer.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

hc::ClipTokenizer tokenizer() {
  return hc::ClipTokenizer::load(hc::test::shared_path("fixtures/model/tiny-quickgelu"));
}

hc::ClipModel tiny_model(uint64_t seed) {
  return hc::random_clip(hc::builtin_clip_config("tiny"), seed, torch::kCPU, torch::kFloat);
}

std::vector<hc::HierarCapsTrainRow> rows(int count) {
  std::vector<hc::HierarCapsTrainRow> out(static_cast<std::size_t>(count));
  for (int r = 0; r < count; ++r) {
    for (int level = 0; level < 4; ++level) {
      out[r].positive[level] = "pos " + std::to_string(r) + " level " + std::to_string(level + 1);
      out[r].negative[level] = "neg " + std::to_string(r) + " level " + std::to_string(level + 1);
    }
    out[r].id = std::to_string(100 + r);
    out[r].line = static_cast<std::size_t>(r) + 2;
    out[r].image_url = "http://example.org/images/" + std::to_string(r) + ".jpg";
  }
  return out;
}

// Seeded unit vectors standing for the frozen vision tower's image embeddings.
torch::Tensor unit_images(int64_t count, int64_t dim, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor v = torch::randn({count, dim});
  return v / v.norm(2, {-1}, true);
}

hc::ReTrainerOptions clip_options(double lambda_p) {
  hc::ReTrainerOptions options;
  options.optimizer.learning_rate = 1e-3;
  options.loss.objective = "clip";
  options.loss.lambda_p = lambda_p;
  return options;
}

// CLIP's loss written out with scalar loops in double: mean over texts of the cross-entropy of
// each text against every image, and the same per image, averaged.
double infonce_by_hand(const torch::Tensor& text, const torch::Tensor& images, double scale) {
  const torch::Tensor t = text.to(torch::kDouble).contiguous();
  const torch::Tensor v = images.to(torch::kDouble).contiguous();
  const int64_t n = t.size(0);
  const int64_t d = t.size(1);
  const double* tp = t.data_ptr<double>();
  const double* vp = v.data_ptr<double>();
  std::vector<double> logits(static_cast<std::size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t k = 0; k < d; ++k) dot += tp[i * d + k] * vp[j * d + k];
      logits[static_cast<std::size_t>(i * n + j)] = scale * dot;
    }
  }
  auto logit = [&](int64_t i, int64_t j) { return logits[static_cast<std::size_t>(i * n + j)]; };
  double text_to_image = 0, image_to_text = 0;
  for (int64_t i = 0; i < n; ++i) {
    double row = 0, column = 0;
    for (int64_t j = 0; j < n; ++j) {
      row += std::exp(logit(i, j));
      column += std::exp(logit(j, i));
    }
    text_to_image += std::log(row) - logit(i, i);
    image_to_text += std::log(column) - logit(i, i);
  }
  return (text_to_image + image_to_text) / (2.0 * static_cast<double>(n));
}

}  // namespace

TEST_CASE("clip objective: the loss is CLIP's symmetric InfoNCE, plus the pullback",
          "[train][clip_objective]") {
  const hc::ReTrainerOptions options = clip_options(10);
  hc::ReTrainer trainer(tiny_model(1), tiny_model(1), tokenizer(), 0, options);
  const std::vector<std::string> captions = {"a dog", "a red car on a road", "bird",
                                             "two people at a table", "a cat asleep"};
  const int64_t dim = trainer.model()->config().projection_dim;
  const torch::Tensor images = unit_images(5, dim, 3);
  trainer.zero_grad();
  const hc::ClipObjectiveStep step = trainer.accumulate_clip(captions, images, 1.0);

  const double scale = std::exp(trainer.model()->logit_scale.item<double>());
  const double expected = infonce_by_hand(step.text, images, scale);
  CHECK(step.loss.contrastive.item<double>() == Approx(expected).epsilon(1e-5));
  REQUIRE(step.original.defined());
  const double cosine = (step.text.to(torch::kDouble) * step.original.to(torch::kDouble))
                            .sum(-1).mean().item<double>();
  CHECK(step.loss.pullback.item<double>() == Approx((1 - cosine) / 2).margin(1e-6));
  CHECK(step.loss.total.item<double>() ==
        Approx(10 * step.loss.pullback.item<double>() + expected).epsilon(1e-5));
  // The text tower gets gradients; the temperature and the vision tower stay frozen.
  for (const auto& item : trainer.trained_parameters()) {
    CAPTURE(item.key());
    CHECK(item.value().grad().defined());
  }
  CHECK_FALSE(trainer.model()->logit_scale.requires_grad());
}

TEST_CASE("clip objective: training on it lowers the contrastive loss", "[train][clip_objective]") {
  hc::ReTrainer trainer(tiny_model(2), hc::ClipModel(nullptr), tokenizer(), 0, clip_options(0));
  const std::vector<std::string> captions = {"a dog", "a red car", "bird", "a table", "a cat",
                                             "a boat on a lake"};
  const torch::Tensor images = unit_images(6, trainer.model()->config().projection_dim, 5);
  std::vector<double> losses;
  for (int i = 0; i < 12; ++i) {
    trainer.zero_grad();
    losses.push_back(trainer.accumulate_clip(captions, images, 1.0).loss.contrastive.item<double>());
    trainer.apply_update();
  }
  CAPTURE(losses);
  CHECK(losses.back() < 0.9 * losses.front());
}

TEST_CASE("clip objective: each row shows a seeded caption of its positive chain per epoch",
          "[train][clip_objective]") {
  hc::ReTrainerOptions options = clip_options(0);
  options.loss.levels = {1, 3, 4};
  options.loss.tiers = 2;
  const auto data = rows(40);
  hc::ReTrainer trainer(tiny_model(1), hc::ClipModel(nullptr), tokenizer(), 0, options);
  const int64_t dim = trainer.model()->config().projection_dim;
  hc::ReFinetuneTask task(data, std::move(trainer), {}, nullptr, false);
  task.use_clip_objective(unit_images(40, dim, 1), 9);
  std::vector<std::size_t> all(data.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;

  const auto epoch0 = task.sampled_captions(all, 0);
  std::set<std::string> levels_seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    CAPTURE(i, epoch0[i]);
    const auto& chain = data[i].positive;
    CHECK((epoch0[i] == chain[0] || epoch0[i] == chain[2] || epoch0[i] == chain[3]));
    levels_seen.insert(epoch0[i].substr(epoch0[i].rfind(' ') + 1));
  }
  CHECK(levels_seen == std::set<std::string>{"1", "3", "4"});
  // A function of (seed, epoch, row): the same rows in another batch agree, epochs differ.
  const auto some = task.sampled_captions({7, 3}, 0);
  CHECK(some[0] == epoch0[7]);
  CHECK(some[1] == epoch0[3]);
  CHECK(task.sampled_captions(all, 1) != epoch0);
  CHECK(task.sampled_captions(all, 0) == epoch0);
  CHECK(hc::epoch_choices(40, 3, 9, 0) == hc::epoch_choices(40, 3, 9, 0));
  CHECK(hc::epoch_choices(40, 3, 9, 0) != hc::epoch_choices(40, 3, 10, 0));

  // A step through the task logs the clip term beside the total and the pullback.
  task.begin_step(0, 1);
  task.zero_grad();
  const hc::MicroBatchResult result = task.accumulate({0, 1, 2, 3}, 1.0);
  REQUIRE(result.terms.size() == 3);
  CHECK(result.terms[0].first == "total");
  CHECK(result.terms[2].first == "clip");
  CHECK(result.terms[2].second > 0);
}

TEST_CASE("clip objective: each row's image file, a missing one names the row and the path",
          "[train][clip_objective]") {
  hc::test::TempDir dir;
  const hc::SyntheticHierarCaps synthetic = hc::write_synthetic_hierarcaps(dir / "gen", 3, 1);
  fs::create_directories(dir / "images");
  std::size_t copied = 0;
  for (const auto& entry : fs::directory_iterator(synthetic.images)) {
    if (copied == 3) break;
    fs::copy_file(entry.path(), dir / "images" / (std::to_string(copied++) + ".jpg"));
  }
  REQUIRE(copied == 3);
  auto data = rows(3);
  const auto files = hc::train_image_files(data, "train.csv", dir / "images");
  REQUIRE(files.size() == 3);
  CHECK(files[1] == dir / "images" / "1.jpg");

  fs::remove(dir / "images" / "2.jpg");
  try {
    hc::train_image_files(data, "train.csv", dir / "images");
    FAIL("a missing image was accepted");
  } catch (const hc::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("train.csv: line 4") && Catch::Contains("row id 102") &&
                             Catch::Contains((dir / "images" / "2.jpg").string()));
  }
  data[0].image_url.clear();
  CHECK_THROWS_WITH(hc::train_image_files(data, "train.csv", dir / "images"),
                    Catch::Contains("row id 100") && Catch::Contains("no image_url"));
}
