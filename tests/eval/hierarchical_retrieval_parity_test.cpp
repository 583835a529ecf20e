#include "catch_torch.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/data/hierarcaps.h"
#include "hc/eval/hierarchical_retrieval.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "compute_matrix.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

// One case of fixtures/metrics: its CSV matched to the test images, the embeddings the
// official code was given, and what it computed.
struct MetricsCase {
  hc::HierarCapsSet set;
  torch::Tensor text, images, root;
  nlohmann::json expected;
};

MetricsCase load_case(const std::string& name, const fs::path& csv) {
  const fs::path folder = hc::test::shared_path("fixtures/metrics/" + name);
  MetricsCase c;
  hc::HierarCapsOptions options;
  options.csv = csv;
  options.images = hc::test::shared_path("data/hierarcaps/test_imgs");
  c.set = hc::load_hierarcaps(options);
  auto file = hc::SafetensorsFile::open(folder / "embeddings.safetensors");
  c.text = hc::to_tensor(file->get("text"), torch::kCPU);
  c.images = hc::to_tensor(file->get("image"), torch::kCPU);
  c.root = hc::to_tensor(file->get("root"), torch::kCPU);
  std::ifstream in(folder / "expected.json");
  c.expected = nlohmann::json::parse(in);
  return c;
}

MetricsCase load_named_case(const std::string& name) {
  if (name == "hierarcaps_test") {
    return load_case(name, hc::test::shared_path("data/hierarcaps/hierarcaps_test.csv"));
  }
  return load_case(name, hc::test::shared_path("fixtures/metrics/multiref/multiref.csv"));
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}


}  // namespace

TEST_CASE("hierarchical retrieval reproduces the official code on both fixture cases") {
  const std::string name = GENERATE(as<std::string>(), "hierarcaps_test", "multiref");
  auto device = GENERATE(from_range(hc::test::devices_present()));
  CAPTURE(name, device.str());
  MetricsCase c = load_named_case(name);
  const nlohmann::json& expected = c.expected;
  const int steps = expected.at("steps");

  auto result = hc::evaluate_hierarchical_retrieval(c.text.to(device), c.images.to(device),
                                                    c.root.to(device), c.set, steps);

  REQUIRE(result.rows == expected.at("n_rows").get<std::size_t>());
  REQUIRE(result.images == expected.at("n_images").get<std::size_t>());
  CHECK(std::abs(result.precision - expected.at("precision").get<double>()) <= 1e-9);
  CHECK(std::abs(result.recall - expected.at("recall").get<double>()) <= 1e-9);
  CHECK(std::abs(result.d_corr - expected.at("d_corr").get<double>()) <= 1e-9);
  // Beyond the README's tolerance: the per-item values are exact, and the means are summed in
  // np.mean's order, so they come out identical.
  CHECK(result.precision == expected.at("precision").get<double>());
  CHECK(result.recall == expected.at("recall").get<double>());
  CHECK(result.d_corr == expected.at("d_corr").get<double>());

  std::vector<double> precision, recall, tau;
  for (const auto& image : result.per_image) {
    precision.push_back(image.precision);
    recall.push_back(image.recall);
  }
  for (const auto& row : result.per_row) tau.push_back(row.tau);
  const double precision_diff = max_abs_diff(precision, expected.at("per_image_precision"));
  const double recall_diff = max_abs_diff(recall, expected.at("per_image_recall"));
  const double tau_diff = max_abs_diff(tau, expected.at("per_row_tau"));
  CHECK(precision_diff <= 1e-12);
  CHECK(recall_diff <= 1e-12);
  CHECK(tau_diff <= 1e-12);

  const auto chains = expected.at("per_image_predictions");
  const auto chain_scores = expected.at("per_image_prediction_scores");
  std::size_t identical_chains = 0;
  double score_diff = 0.0;
  for (std::size_t i = 0; i < result.per_image.size(); ++i) {
    const auto& image = result.per_image[i];
    CHECK(image.file == expected.at("image_order")[i].get<std::string>());
    const auto want = chains[i].get<std::vector<std::string>>();
    if (image.chain == want) {
      ++identical_chains;
      score_diff = std::max(score_diff, max_abs_diff(image.scores, chain_scores[i]));
    } else {
      CAPTURE(i, image.file);
      CHECK(image.chain == want);
    }
  }
  CHECK(identical_chains == result.per_image.size());
  CHECK(score_diff <= 1e-5);

  const double level_diff = max_abs_diff(result.levels, expected.at("levels"));
  CHECK(level_diff <= 1e-5);
  CHECK(std::abs(result.rmin - expected.at("rmin").get<double>()) <= 1e-5);
  CHECK(std::abs(result.rmax - expected.at("rmax").get<double>()) <= 1e-5);

  UNSCOPED_INFO(fmt::format(
      "{} on {}: precision {:.17g} (expected {:.17g}, diff {:.3g}), recall {:.17g} ({:.17g}, "
      "{:.3g}), d_corr {:.17g} ({:.17g}, {:.3g}); max per-item diff: precision {:.3g}, recall {:.3g}, tau {:.3g}, scores {:.3g}, "
      "levels {:.3g}; chains identical {}/{}",
      name, device.str(), result.precision, expected.at("precision").get<double>(),
      std::abs(result.precision - expected.at("precision").get<double>()), result.recall,
      expected.at("recall").get<double>(),
      std::abs(result.recall - expected.at("recall").get<double>()), result.d_corr,
      expected.at("d_corr").get<double>(),
      std::abs(result.d_corr - expected.at("d_corr").get<double>()),
      precision_diff, recall_diff, tau_diff, score_diff, level_diff, identical_chains,
      result.per_image.size()));
  CHECK(true);
}

TEST_CASE("hierarchical retrieval: dtypes other than float32 are computed in float32") {
  MetricsCase c = load_named_case("multiref");
  auto reference = hc::evaluate_hierarchical_retrieval(c.text, c.images, c.root, c.set);
  auto from_double = hc::evaluate_hierarchical_retrieval(
      c.text.to(torch::kDouble), c.images.to(torch::kDouble), c.root.to(torch::kDouble), c.set);
  CHECK(from_double.precision == reference.precision);
  CHECK(from_double.recall == reference.recall);
  CHECK(from_double.d_corr == reference.d_corr);
  // Half precision storage moves embeddings by ~1e-3: the metric still runs and stays close.
  auto from_half = hc::evaluate_hierarchical_retrieval(
      c.text.to(torch::kHalf), c.images.to(torch::kHalf), c.root.to(torch::kHalf), c.set);
  CHECK(from_half.precision == Approx(reference.precision).margin(0.05));
  CHECK(from_half.d_corr == Approx(reference.d_corr).margin(0.05));
}

TEST_CASE("hierarchical retrieval: the chain search alone over a candidate pool") {
  MetricsCase c = load_named_case("multiref");
  auto result = hc::evaluate_hierarchical_retrieval(c.text, c.images, c.root, c.set);
  const std::vector<std::string> texts = c.set.texts();
  auto flat = c.text.reshape({-1, c.text.size(-1)});

  // All n x 4 texts as candidates: the metric's own chains.
  auto chains = hc::retrieve_hierarchical_chains(flat, texts, c.images, c.root);
  REQUIRE(chains.chains.size() == result.per_image.size());
  for (std::size_t i = 0; i < chains.chains.size(); ++i) CHECK(chains.chains[i] == result.per_image[i].chain);
  CHECK(chains.levels == result.levels);

  // Each distinct string once (the qualitative mode's pool): equal strings have equal
  // embeddings, so the chains do not change.
  std::vector<std::string> distinct;
  std::vector<int64_t> keep;
  for (std::size_t k = 0; k < texts.size(); ++k) {
    if (std::find(distinct.begin(), distinct.end(), texts[k]) == distinct.end()) {
      distinct.push_back(texts[k]);
      keep.push_back(static_cast<int64_t>(k));
    }
  }
  REQUIRE(distinct.size() == result.distinct_texts);
  auto pooled = hc::retrieve_hierarchical_chains(flat.index_select(0, torch::tensor(keep)), distinct,
                                                 c.images, c.root);
  for (std::size_t i = 0; i < pooled.chains.size(); ++i) CHECK(pooled.chains[i] == result.per_image[i].chain);
}

TEST_CASE("hierarchical retrieval: ties, repeats and multi-reference scoring on a hand-made set") {
  // Two images; image 0 has two rows sharing their general tiers. Radii grow with the tier
  // (texts are root + t * direction), and each image is closest to its own specific texts.
  hc::test::TempDir dir;
  hc::test::write_bytes(
      dir / "set.csv",
      "id,captions,image_url\n"
      "0,animal => dog => small dog => small dog on grass,x/COCO_1.jpg\n"
      "1,animal => dog => big dog => big dog on a sofa,x/COCO_1.jpg\n"
      "2,vehicle => car => red car => red car on a road,x/COCO_2.jpg\n");
  hc::HierarCapsOptions options;
  options.csv = dir / "set.csv";
  hc::HierarCapsSet set = hc::load_hierarcaps(options);
  REQUIRE(set.images.size() == 2);

  const int64_t D = 6;
  auto root = torch::zeros({D}, torch::kDouble);
  root[0] = 1;
  auto direction = [&](int64_t axis) {
    auto v = torch::zeros({D}, torch::kDouble);
    v[axis] = 1;
    return v;
  };
  // Points on the unit sphere at increasing distance from the root along a direction.
  auto at_radius = [&](const torch::Tensor& dir_vec, double angle) {
    return std::cos(angle) * root + std::sin(angle) * dir_vec;
  };
  auto dog = direction(1), dog_small = direction(2), dog_big = direction(3), car = direction(4);
  auto mix = [](torch::Tensor a, torch::Tensor b, double w) { auto v = a + w * b; return v / v.norm(); };
  std::vector<torch::Tensor> text{
      at_radius(dog, 0.2), at_radius(dog, 0.4), at_radius(mix(dog, dog_small, 0.5), 0.6), at_radius(mix(dog, dog_small, 1.0), 0.8),
      at_radius(dog, 0.2), at_radius(dog, 0.4), at_radius(mix(dog, dog_big, 0.5), 0.6), at_radius(mix(dog, dog_big, 1.0), 0.8),
      at_radius(car, 0.25), at_radius(car, 0.45), at_radius(mix(car, dog, 0.1), 0.65), at_radius(mix(car, dog, 0.2), 0.85)};
  auto T = torch::stack(text).reshape({3, 4, D});
  auto V = torch::stack({at_radius(mix(dog, dog_small, 1.0), 0.9), at_radius(car, 0.9)});

  auto result = hc::evaluate_hierarchical_retrieval(T, V, root, set, 20);
  CHECK(result.distinct_texts == 10);  // "animal" and "dog" shared by rows 0 and 1
  const auto& dog_image = result.per_image[0];
  // Repeated consecutive predictions collapse; "animal" and "dog" are one text each.
  for (std::size_t k = 1; k < dog_image.chain.size(); ++k) CHECK(dog_image.chain[k] != dog_image.chain[k - 1]);
  CHECK(dog_image.chain.front() == "animal");
  CHECK(dog_image.chain.back() == "small dog on grass");
  // Every tier of some row of the image was found (recall 1), and nothing outside its rows.
  CHECK(dog_image.recall == 1.0);
  CHECK(dog_image.precision == 1.0);
  CHECK(result.per_row[0].tau == 1.0);
  CHECK(result.per_row[0].id == "0");

  auto json = hc::hierarchical_retrieval_json(result);
  CHECK(json.at("rows") == 3);
  CHECK(json.at("per_image").size() == 2);
  CHECK(json.at("per_image")[0].at("chain") == dog_image.chain);
  CHECK(json.at("per_row")[2].at("id") == "2");
  CHECK(json.at("levels").size() == 20);
  CHECK_FALSE(hc::hierarchical_retrieval_json(result, false).contains("per_image"));

  SECTION("inputs that do not fit the set are hc::Errors") {
    CHECK_THROWS_WITH(hc::evaluate_hierarchical_retrieval(T.slice(0, 0, 2), V, root, set),
                      Catch::Contains("[3, 4, D]"));
    CHECK_THROWS_WITH(hc::evaluate_hierarchical_retrieval(T, V.slice(0, 0, 1), root, set),
                      Catch::Contains("distinct images"));
    CHECK_THROWS_AS(hc::evaluate_hierarchical_retrieval(T, V, root.slice(0, 0, 3), set), hc::Error);
    CHECK_THROWS_AS(hc::evaluate_hierarchical_retrieval(T, V, root, set, 0), hc::Error);
    auto broken = T.clone();
    broken[0][0][0] = std::nan("");
    CHECK_THROWS_WITH(hc::evaluate_hierarchical_retrieval(broken, V, root, set), Catch::Contains("NaN"));
  }
}
