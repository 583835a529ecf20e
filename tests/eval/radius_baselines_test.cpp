#include "catch_torch.h"

#include <torch/torch.h>

#include <array>
#include <cmath>
#include <vector>

#include "hc/core/error.h"
#include "hc/data/hierarcaps.h"
#include "hc/eval/depth_correlation.h"
#include "hc/eval/radius_baselines.h"
#include "hc/text/clip_tokenizer.h"
#include "test_support.h"

namespace {

// Kendall tau-b of a row's values against 1..4 with ties counted as ties: what d_corr would be
// if equal radii were not broken in tier order. For the report only (the reference breaks them).
double tau_b_with_ties(const std::array<double, 4>& radii) {
  int concordant_minus_discordant = 0, untied_pairs = 0;
  for (int i = 0; i < 4; ++i) {
    for (int j = i + 1; j < 4; ++j) {
      if (radii[i] == radii[j]) continue;
      ++untied_pairs;
      concordant_minus_discordant += radii[i] < radii[j] ? 1 : -1;
    }
  }
  return untied_pairs == 0 ? std::nan("") : concordant_minus_discordant / std::sqrt(6.0 * untied_pairs);
}

struct TieReport {
  double tau_b_mean = 0.0;
  int rows_with_ties = 0;
};

TieReport tie_report(const std::vector<std::array<double, 4>>& radii) {
  TieReport report;
  for (const auto& row : radii) {
    report.tau_b_mean += tau_b_with_ties(row) / static_cast<double>(radii.size());
    for (int i = 0; i < 4; ++i) {
      for (int j = i + 1; j < 4; ++j) {
        if (row[i] == row[j]) {
          ++report.rows_with_ties;
          i = j = 4;
        }
      }
    }
  }
  return report;
}

hc::HierarCapsSet test_set() {
  hc::HierarCapsOptions options;
  options.csv = hc::test::shared_path("data/hierarcaps/hierarcaps_test.csv");
  return hc::load_hierarcaps(options);
}

}  // namespace

TEST_CASE("d_corr: per-row Kendall tau of the radius order, with scipy's rounding") {
  CHECK(hc::radius_order_tau({1, 2, 3, 4}) == 1.0);
  CHECK(hc::radius_order_tau({4, 3, 2, 1}) == -1.0);
  // One adjacent swap: 4/6 as scipy rounds it ((C - D) / sqrt(6) / sqrt(6)).
  CHECK(hc::radius_order_tau({2, 1, 3, 4}) == 0.6666666666666669);
  CHECK(hc::radius_order_tau({1, 3, 2, 4}) == 0.6666666666666669);
  CHECK(hc::radius_order_tau({3, 1, 2, 4}) == 0.3333333333333334);
  // Equal radii keep their tier order (the reference's stable argsort).
  CHECK(hc::radius_order_tau({1, 1, 2, 2}) == 1.0);
  CHECK(hc::radius_order_tau({2, 2, 1, 1}) == -0.3333333333333334);
  const double two[] = {1.0, 2.0};
  CHECK(hc::radius_order_tau(two, 2) == 1.0);
  CHECK(std::isnan(hc::radius_order_tau(two, 1)));

  auto depth = hc::depth_correlation({{1, 2, 3, 4}, {2, 1, 3, 4}});
  CHECK(depth.per_row.size() == 2);
  CHECK(depth.mean == Approx((1.0 + 0.6666666666666669) / 2).epsilon(1e-15));
  CHECK_THROWS_AS(hc::depth_correlation({}), hc::Error);
}

TEST_CASE("d_corr: torch's CPU argsort keeps equal radii in order, as the tie rule assumes") {
  // The reference runs R.argsort(dim=-1) on CPU float32 rows of 4; check that this libtorch
  // agrees with the stable order used here.
  auto radii = torch::tensor({{2.0f, 2.0f, 1.0f, 1.0f}, {1.0f, 1.0f, 1.0f, 1.0f}, {3.0f, 1.0f, 3.0f, 1.0f}});
  auto order = radii.argsort(int64_t{-1}, /*descending=*/false);
  CHECK(order[0].equal(torch::tensor({2, 3, 0, 1}, torch::kLong)));
  CHECK(order[1].equal(torch::tensor({0, 1, 2, 3}, torch::kLong)));
  CHECK(order[2].equal(torch::tensor({1, 3, 0, 2}, torch::kLong)));
}

TEST_CASE("radius baselines: character length on the HierarCaps test set") {
  hc::HierarCapsSet set = test_set();
  auto depth = hc::depth_correlation(hc::char_length_radii(set));
  REQUIRE(depth.per_row.size() == 1000);
  // 0.8736666... (= 873.6666.../1000): 26 rows have equal lengths at two tiers, kept in tier
  // order. Kendall's tau-b on the lengths themselves (ties as ties) would give 0.8714.
  TieReport ties = tie_report(hc::char_length_radii(set));
  UNSCOPED_INFO(fmt::format("char-length d_corr: {:.16f} ({} rows with ties; tau-b with ties "
                            "as ties: {:.16f})", depth.mean, ties.rows_with_ties, ties.tau_b_mean));
  CHECK(ties.rows_with_ties == 26);
  CHECK(ties.tau_b_mean == Approx(0.8714013108252201).margin(1e-12));
  CHECK(depth.mean == Approx(0.8736666666666667).margin(1e-12));
  CHECK((hc::char_length_radii(set)[0] ==
         std::array<double, 4>{5, 17, 59, 91}));  // "table", "table with plates", ...
}

TEST_CASE("radius baselines: CLIP token count on the HierarCaps test set") {
  hc::HierarCapsSet set = test_set();
  auto tokenizer = hc::ClipTokenizer::load(hc::test::shared_path("data/clip-tokenizer"));
  auto radii = hc::token_count_radii(set, tokenizer);
  auto depth = hc::depth_correlation(radii);
  TieReport ties = tie_report(radii);
  UNSCOPED_INFO(fmt::format("token-count d_corr: {:.16f} ({} rows with ties; tau-b with ties "
                            "as ties: {:.16f})", depth.mean, ties.rows_with_ties, ties.tau_b_mean));
  CHECK(depth.mean == Approx(0.9373333333333333).margin(1e-12));

  // The callable and precomputed forms agree.
  std::vector<std::size_t> counts;
  for (const auto& text : set.texts()) counts.push_back(tokenizer.encode(text).size());
  CHECK((hc::token_count_radii(set, counts) == radii));
  CHECK((hc::token_count_radii(set, [&](const std::string& t) {
           return tokenizer.encode(t).size();
         }) == radii));
  counts.pop_back();
  CHECK_THROWS_AS(hc::token_count_radii(set, counts), hc::Error);
}
