// Zero-shot classification metrics on hand-made logits: top-k, per-class accuracy, the mean of
// per-class accuracies and the confusion summary; predictions mapped to a coarser level.
#include "catch_torch.h"

#include <cmath>

#include "hc/core/error.h"
#include "hc/eval/classification_report.h"

TEST_CASE("classification report: top-k, per class, confusions", "[eval][zeroshot]") {
  const std::vector<std::string> classes{"cat", "dog", "fox"};
  // Rows: top-1 predictions dog, dog, fox, cat; the truth cat, dog, dog, fox.
  const at::Tensor logits = torch::tensor({{0.2f, 0.5f, 0.1f},
                                           {0.0f, 0.9f, 0.3f},
                                           {0.1f, 0.2f, 0.8f},
                                           {0.7f, 0.1f, 0.05f}});
  const std::vector<int64_t> truth{0, 1, 1, 2};
  const hc::ClassificationReport report = hc::classification_report(logits, truth, classes, {1, 2, 5});
  CHECK(report.top_k[0] == Approx(0.25));
  CHECK(report.top_k[1] == Approx(0.75));  // rows 0 and 2 have the truth second; row 3 third
  CHECK(report.top_k[2] == Approx(1.0));   // k capped at the class count
  CHECK(report.per_class[0] == Approx(0.0));
  CHECK(report.per_class[1] == Approx(0.5));
  CHECK(report.per_class[2] == Approx(0.0));
  CHECK(report.mean_per_class == Approx(0.5 / 3));
  REQUIRE(report.confusions.size() == 3);
  for (const auto& c : report.confusions) CHECK(c.count == 1);
  const auto json = hc::classification_report_json(report);
  CHECK(json["top1"] == 0.25);
  CHECK(json["per_class"]["dog"] == 0.5);
  CHECK(json["confusions"].size() == 3);

  const hc::ClassificationReport coarse =
      hc::prediction_report({0, 0, 1, 1}, {0, 1, 1, 1}, {"animal", "thing"});
  CHECK(coarse.top_k[0] == Approx(0.75));
  CHECK(coarse.confusions.size() == 1);
  CHECK(coarse.confusions[0].truth == 1);
  CHECK(coarse.confusions[0].predicted == 0);
  // A class without images has no accuracy and is left out of the mean.
  const hc::ClassificationReport sparse = hc::prediction_report({0, 0}, {0, 0}, {"a", "b"});
  CHECK(std::isnan(sparse.per_class[1]));
  CHECK(sparse.mean_per_class == Approx(1.0));
  CHECK(hc::classification_report_json(sparse)["per_class"]["b"].is_null());

  CHECK_THROWS_AS(hc::classification_report(logits, {0, 1, 1}, classes, {1}), hc::Error);
  CHECK_THROWS_AS(hc::classification_report(logits, {0, 1, 1, 3}, classes, {1}), hc::Error);
}
