// Spearman's rho as scipy.stats.spearmanr: average ranks for ties, Pearson on the ranks, the
// t-distribution p-value; parity with ../shared/fixtures/hyperlex (scipy 1.10.1) from the
// stored scores, to its README's tolerances.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/eval/spearman.h"
#include "test_support.h"

namespace {

using Catch::Matchers::Contains;

const nlohmann::json& fixture() {
  static const nlohmann::json json = nlohmann::json::parse(
      hc::test::read_bytes(hc::test::shared_path("fixtures/hyperlex/expected.json")));
  return json;
}

std::vector<double> column(const std::string& name) {
  return fixture()["pairs"][name].get<std::vector<double>>();
}

std::vector<double> nouns_only(const std::vector<double>& values) {
  const auto pos = fixture()["pairs"]["pos"].get<std::vector<std::string>>();
  std::vector<double> kept;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (pos[i] == "N") kept.push_back(values[i]);
  }
  return kept;
}

double relative_difference(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

// The 1 - 6 sum d^2 / (n (n^2 - 1)) shortcut, right only without ties.
double classic_formula(const std::vector<double>& a, const std::vector<double>& b) {
  const auto ra = hc::average_ranks(a), rb = hc::average_ranks(b);
  double d2 = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  const double n = static_cast<double>(a.size());
  return 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
}

}  // namespace

TEST_CASE("spearman: average ranks share the mean position of a tie") {
  CHECK(hc::average_ranks({10, 20, 10, 30}) == std::vector<double>{1.5, 3, 1.5, 4});
  CHECK(hc::average_ranks({5, 5, 5}) == std::vector<double>{2, 2, 2});
  CHECK(hc::average_ranks({-1.0, 3.0, 2.0}) == std::vector<double>{1, 3, 2});
  CHECK(hc::average_ranks({}).empty());
  CHECK_THROWS_AS(hc::average_ranks({1.0, std::nan("")}), hc::Error);
}

TEST_CASE("spearman: the fixture's average ranks, ties included, exactly") {
  CHECK(hc::average_ranks(column("pred_tied")) == column("rank_pred_tied_all"));
  CHECK(hc::average_ranks(column("gold_AVG_SCORE")) == column("rank_gold_AVG_SCORE_all"));
}

TEST_CASE("spearman: scipy's documented example") {
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
  const auto result = hc::spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7});
  CHECK(std::fabs(result.rho - 0.8207826816681233) <= 1e-15);
  CHECK(relative_difference(result.p_value, 0.08858700531354381) <= 1e-6);
  CHECK(result.n == 5);
}

TEST_CASE("spearman: parity with scipy on the HyperLex fixture (stored scores)") {
  const auto& results = fixture()["results"];
  const std::vector<std::string> predictions{"pred_tied", "pred_ext"};
  const std::vector<std::string> golds{"AVG_SCORE", "AVG_SCORE_0_10"};
  for (const auto& prediction : predictions) {
    for (const auto& gold : golds) {
      const auto pred = column(prediction);
      const auto truth = column("gold_" + gold);
      for (const std::string subset : {"all", "nouns"}) {
        const auto& expected = results[prediction][subset][gold];
        const auto result = subset == "all" ? hc::spearman(pred, truth)
                                            : hc::spearman(nouns_only(pred), nouns_only(truth));
        INFO(prediction << " " << subset << " " << gold);
        CHECK(result.n == expected["n"].get<std::size_t>());
        // README: rho within 1e-9 (the inputs are exact), p-values within 1e-6 relative.
        CHECK(std::fabs(result.rho - expected["rho"].get<double>()) <= 1e-9);
        CHECK(relative_difference(result.p_value, expected["pvalue"].get<double>()) <= 1e-6);
      }
    }
  }
}

TEST_CASE("spearman: the shortcut formula is wrong with ties, as the fixture's README warns") {
  const auto pred = column("pred_tied");
  const auto gold = column("gold_AVG_SCORE");
  const double expected = fixture()["results"]["pred_tied"]["all"]["AVG_SCORE"]["rho"];
  CHECK(std::fabs(classic_formula(pred, gold) - expected) > 1e-4);
  CHECK(std::fabs(hc::spearman(pred, gold).rho - expected) <= 1e-9);
}

TEST_CASE("spearman: undefined cases are NaN, mismatched samples an error") {
  CHECK(std::isnan(hc::spearman({1, 2, 3}, {4, 4, 4}).rho));
  CHECK(std::isnan(hc::spearman({1}, {2}).rho));
  CHECK(std::isnan(hc::spearman({1, 2, std::nan("")}, {1, 2, 3}).rho));
  CHECK(hc::spearman({}, {}).n == 0);
  CHECK_THROWS_AS(hc::spearman({1, 2}, {1, 2, 3}), hc::Error);
  const auto perfect = hc::spearman({1, 2, 3, 4}, {10, 20, 30, 40});
  CHECK(perfect.rho == 1.0);
  CHECK(perfect.p_value == 0.0);
  const auto reversed = hc::spearman({1, 2, 3, 4}, {4, 3, 2, 1});
  CHECK(reversed.rho == -1.0);
  // n = 2 has a rho but no degrees of freedom for a p-value.
  CHECK(std::isnan(hc::spearman({1, 2}, {1, 2}).p_value));
}

TEST_CASE("spearman: Student's t tail against closed forms") {
  // One degree of freedom is the Cauchy distribution: P(|T| >= t) = 1 - 2 atan(t) / pi.
  for (double t : {0.1, 1.0, 3.0, 50.0}) {
    const double expected = 1.0 - 2.0 * std::atan(t) / M_PI;
    CHECK(relative_difference(hc::student_t_two_sided_p(t, 1.0), expected) <= 1e-12);
    CHECK(hc::student_t_two_sided_p(-t, 1.0) == hc::student_t_two_sided_p(t, 1.0));
  }
  // Two degrees of freedom: P(|T| >= t) = 1 - t / sqrt(2 + t^2).
  for (double t : {0.5, 2.0, 10.0}) {
    const double expected = 1.0 - t / std::sqrt(2.0 + t * t);
    CHECK(relative_difference(hc::student_t_two_sided_p(t, 2.0), expected) <= 1e-12);
  }
  CHECK(hc::student_t_two_sided_p(0.0, 10.0) == Approx(1.0).epsilon(1e-15));
  CHECK(hc::student_t_two_sided_p(std::numeric_limits<double>::infinity(), 10.0) == 0.0);
  CHECK(std::isnan(hc::student_t_two_sided_p(1.0, 0.0)));
}
