// The evaluation block against a brute-force count written here from the definitions: per level
// top-1 / top-5 and per-class accuracy, hierarchical consistency per pair of levels and over the
// path, all levels right; batches of any size give the same totals.
#include "catch_torch.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/hierarchical_evaluation.h"

namespace {

// Rank of the true class among the scores: the number of classes scored strictly higher.
int64_t rank_of(const std::vector<float>& scores, int64_t truth) {
  int64_t higher = 0;
  for (float s : scores) higher += s > scores[truth] ? 1 : 0;
  return higher;
}

int64_t argmax(const std::vector<float>& scores) {
  return std::max_element(scores.begin(), scores.end()) - scores.begin();
}

}  // namespace

TEST_CASE("hierarchical evaluation matches a brute-force count", "[hgclip]") {
  // Three levels; level sizes 2, 3, 7 (one level below top-5 size).
  const hc::ClassHierarchy h = hc::parse_class_hierarchy(
      "f0, m0, t0\nf1, m0, t0\nf2, m1, t0\nf3, m2, t1\nf4, m2, t1\nf5, m2, t1\nf6, m1, t0\n",
      "h.txt");
  const int64_t n = 200;
  torch::manual_seed(5);
  std::vector<torch::Tensor> logits;
  for (int64_t l = 0; l < 3; ++l) logits.push_back(torch::randn({n, h.level_size(l)}));
  const torch::Tensor fine = torch::randint(h.level_size(2), {n}, torch::kLong);
  torch::Tensor classes = torch::empty({n, 3}, torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    const auto& chain = h.chain_of(fine[i].item<int64_t>());
    for (int64_t l = 0; l < 3; ++l) classes[i][l] = chain[l];
  }
  // Make the fine predictions right for a third of the images, so accuracies are not tiny.
  for (int64_t i = 0; i < n; i += 3) logits[2][i][fine[i].item<int64_t>()] = 10.0f;

  hc::HierarchicalEvaluator evaluator(h);
  for (int64_t start = 0; start < n; start += 64) {  // uneven batches: 64, 64, 64, 8
    const int64_t end = std::min(n, start + 64);
    std::vector<torch::Tensor> part;
    for (const auto& t : logits) part.push_back(t.slice(0, start, end).to(torch::kDouble));
    evaluator.add(part, classes.slice(0, start, end));
  }
  const auto json = evaluator.to_json();
  CHECK(json.at("images") == n);

  std::vector<int64_t> top1(3, 0), top5(3, 0), pair(2, 0);
  std::vector<std::map<int64_t, std::pair<int64_t, int64_t>>> per_class(3);
  int64_t path = 0, all = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> predicted(3);
    bool every = true;
    for (int64_t l = 0; l < 3; ++l) {
      std::vector<float> scores(h.level_size(l));
      for (int64_t c = 0; c < h.level_size(l); ++c) scores[c] = logits[l][i][c].item<float>();
      const int64_t truth = classes[i][l].item<int64_t>();
      predicted[l] = argmax(scores);
      top1[l] += predicted[l] == truth;
      top5[l] += rank_of(scores, truth) < 5;
      per_class[l][truth].first += 1;
      per_class[l][truth].second += predicted[l] == truth;
      every = every && predicted[l] == truth;
    }
    all += every;
    bool whole = true;
    for (int64_t l = 1; l < 3; ++l) {
      const bool under = h.parent(l, predicted[l]) == predicted[l - 1];
      pair[l - 1] += under;
      whole = whole && under;
    }
    path += whole;
  }
  for (int64_t l = 0; l < 3; ++l) {
    INFO("level " << l);
    const auto& level = json.at("levels").at(h.levels()[l].name);
    CHECK(level.at("top1").get<double>() == Approx(double(top1[l]) / n));
    CHECK(level.at("top5").get<double>() == Approx(double(top5[l]) / n));
    double sum = 0;
    for (int64_t c = 0; c < h.level_size(l); ++c) {
      const auto& entry = level.at("per_class").at(h.levels()[l].classes[c]);
      const auto [images, correct] = per_class[l][c];
      CHECK(entry.at("images") == images);
      CHECK(entry.at("correct") == correct);
      if (images > 0) sum += double(correct) / images;
    }
    CHECK(level.at("mean_per_class_accuracy").get<double>() ==
          Approx(sum / double(per_class[l].size())));
  }
  CHECK(json.at("levels").at("level1").at("top5").get<double>() == 1.0);  // 2 classes
  CHECK(json.at("consistency").at("level1/level2").get<double>() == Approx(double(pair[0]) / n));
  CHECK(json.at("consistency").at("level2/level3").get<double>() == Approx(double(pair[1]) / n));
  CHECK(json.at("consistency").at("path").get<double>() == Approx(double(path) / n));
  CHECK(json.at("all_levels_correct").get<double>() == Approx(double(all) / n));
  CHECK(path > 0);
  CHECK(path < n);
}

TEST_CASE("hierarchical evaluation: a fully consistent predictor, classes without images, "
          "bad shapes",
          "[hgclip]") {
  const hc::ClassHierarchy h = hc::parse_class_hierarchy("a, x\nb, x\nc, y\n", "h.txt");
  hc::HierarchicalEvaluator evaluator(h);
  CHECK(evaluator.to_json().at("levels").at("fine").at("top1").is_null());
  // Two images of class a, predicted a / x: right and consistent; class c has no image.
  torch::Tensor coarse = torch::tensor({{2.0f, 0.0f}, {2.0f, 0.0f}});
  torch::Tensor fine = torch::tensor({{3.0f, 1.0f, 0.0f}, {3.0f, 1.0f, 0.0f}});
  evaluator.add({coarse, fine}, torch::tensor({{0, 0}, {0, 0}}, torch::kLong));
  const auto json = evaluator.to_json();
  CHECK(json.at("consistency").at("path") == 1.0);
  CHECK(json.at("all_levels_correct") == 1.0);
  CHECK(json.at("levels").at("fine").at("per_class").at("c").at("accuracy").is_null());
  CHECK(json.at("levels").at("fine").at("mean_per_class_accuracy") == 1.0);
  CHECK_THROWS_AS(evaluator.add({coarse}, torch::tensor({{0, 0}, {0, 0}})), hc::Error);
  CHECK_THROWS_AS(evaluator.add({coarse, coarse}, torch::tensor({{0, 0}, {0, 0}})), hc::Error);
  CHECK_THROWS_AS(hc::HierarchicalEvaluator(h, 0), hc::Error);
}
