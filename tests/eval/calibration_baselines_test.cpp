// Calibration baselines: d_corr of embedding radii, the no-model radius predictors on the real
// test set, and a randomly initialised model of a checkpoint's architecture.
#include "catch_torch.h"

#include <cmath>
#include <string>

#include "hc/data/hierarcaps.h"
#include "hc/eval/calibration_baselines.h"
#include "hc/geometry/root.h"
#include "hc/model/clip_bundle.h"
#include "hc/text/clip_tokenizer.h"
#include "test_support.h"

namespace {

hc::HierarCapsSet test_set() {
  hc::HierarCapsOptions options;
  options.csv = hc::test::shared_path("data/hierarcaps/hierarcaps_test.csv");
  return hc::load_hierarcaps(options);
}

}  // namespace

TEST_CASE("embedding d_corr: radii growing with the tier give 1, shrinking give -1") {
  // Row r, tier t: the root direction mixed with an orthogonal one, further out for later tiers.
  const auto root = torch::tensor({1.0f, 0.0f, 0.0f});
  auto text = torch::zeros({3, 4, 3});
  for (int r = 0; r < 3; ++r) {
    for (int t = 0; t < 4; ++t) {
      const float angle = 0.1f * static_cast<float>(t + 1) + 0.01f * static_cast<float>(r);
      text[r][t][0] = std::cos(angle);
      text[r][t][1 + r % 2] = std::sin(angle);
    }
  }
  CHECK(hc::embedding_d_corr(text, root) == Approx(1.0));
  CHECK(hc::embedding_d_corr(text.flip({1}), root) == Approx(-1.0));
  CHECK_THROWS(hc::embedding_d_corr(text.reshape({12, 3}), root));
}

TEST_CASE("radius baselines on the HierarCaps test set: char length 0.874, token count near it") {
  const hc::HierarCapsSet set = test_set();
  const auto tokenizer = hc::ClipTokenizer::load(hc::test::shared_path("data/clip-tokenizer"));
  const auto json = hc::radius_baselines_json(set, &tokenizer);
  const double chars = json["char_length"]["d_corr"];
  const double tokens = json["token_count"]["d_corr"];
  UNSCOPED_INFO("char length d_corr " << chars << ", token count d_corr " << tokens);
  CHECK(chars == Approx(0.874).margin(0.0005));
  CHECK(tokens > 0.8);
  CHECK(tokens < 1.0);

  const auto without = hc::radius_baselines_json(set, nullptr);
  CHECK(without["token_count"]["d_corr"].is_null());
  CHECK(without["char_length"]["d_corr"] == json["char_length"]["d_corr"]);
}

TEST_CASE("random-init baseline: the checkpoint's architecture, reproducible from its seed") {
  hc::HierarCapsOptions options;
  options.csv = hc::test::shared_path("fixtures/metrics/multiref/multiref.csv");
  const hc::HierarCapsSet set = hc::load_hierarcaps(options);
  const hc::ClipBundle bundle = hc::open_clip_bundle(
      hc::test::shared_path("fixtures/model/tiny-quickgelu").string(), torch::kCPU, torch::kFloat);
  hc::RootOptions root;  // empty: the random model's own embedding of ""
  const auto first = hc::random_init_baseline(bundle, set, root, 3, 32);
  const auto again = hc::random_init_baseline(bundle, set, root, 3, 32);
  const auto other = hc::random_init_baseline(bundle, set, root, 4, 32);
  CHECK(std::isfinite(first.d_corr));
  CHECK(std::abs(first.d_corr) <= 1.0);
  CHECK(first.d_corr == again.d_corr);
  CHECK(first.d_corr != other.d_corr);
  CHECK(first.architecture_of == "tiny-quickgelu");
  CHECK(hc::random_init_json(first)["seed"] == 3);

  root.mode = "origin";
  CHECK(std::isfinite(hc::random_init_baseline(bundle, set, root, 3, 32).d_corr));
}
