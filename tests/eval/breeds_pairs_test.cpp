// BREEDS pair scoring and lambda cross-validation against brute-force versions written here from
// the formulas (METHOD.md section 5): a loop over every image, lambda and ordered label pair, the
// exterior angle from its definition, and the folds' choice by direct search.
#include "catch_torch.h"

#include <cmath>
#include <algorithm>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "hc/core/error.h"
#include "hc/eval/breeds_pairs.h"
#include "hc/eval/lambda_cross_validation.h"
#include "hc/eval/two_label_prompts.h"

namespace {

using Vec = std::vector<double>;

Vec row(const at::Tensor& t, int64_t i) {
  const at::Tensor r = t[i].to(at::kDouble).contiguous();
  return Vec(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}
double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
Vec minus(const Vec& a, const Vec& b) {
  Vec d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}
Vec unit(const Vec& a) {
  const double n = std::sqrt(dot(a, a));
  Vec u(a);
  for (double& v : u) v /= n;
  return u;
}
double xi(const Vec& x, const Vec& y, const Vec& r) {
  const Vec a = minus(x, r), b = minus(y, x);
  const double c = dot(a, b) / std::sqrt(dot(a, a) * dot(b, b));
  return std::acos(std::max(-1.0, std::min(1.0, c)));
}

struct Problem {
  at::Tensor labels, root, images, similarities, general, specific;
  int64_t l = 0, n = 0;
};

Problem random_problem(int64_t l, int64_t n, int64_t d, uint64_t seed) {
  torch::manual_seed(seed);
  Problem p;
  p.l = l;
  p.n = n;
  p.labels = torch::nn::functional::normalize(torch::randn({l, d}, torch::kDouble),
                                              torch::nn::functional::NormalizeFuncOptions().dim(1));
  p.root = torch::nn::functional::normalize(torch::randn({d}, torch::kDouble),
                                            torch::nn::functional::NormalizeFuncOptions().dim(0));
  p.images = torch::nn::functional::normalize(torch::randn({n, d}, torch::kDouble),
                                              torch::nn::functional::NormalizeFuncOptions().dim(1));
  p.similarities = p.images.matmul(p.labels.t());
  const int64_t coarse = l / 3;
  p.general = torch::randint(0, coarse, {n}, torch::kLong);
  p.specific = torch::randint(coarse, l, {n}, torch::kLong);
  return p;
}

// Pairs scoring strictly above the truth at lambda, by looping over every ordered pair.
int64_t brute_force_above(const Problem& p, int64_t image, double lambda) {
  std::vector<Vec> e;
  for (int64_t i = 0; i < p.l; ++i) e.push_back(unit(row(p.labels, i)));
  const Vec root = unit(row(p.root.unsqueeze(0), 0));
  const Vec s = row(p.similarities, image);
  auto radius = [&](int64_t i) { return std::sqrt(dot(minus(e[i], root), minus(e[i], root))); };
  const int64_t tx = p.general[image].item<int64_t>(), ty = p.specific[image].item<int64_t>();
  if (!(radius(tx) < radius(ty))) return std::numeric_limits<int64_t>::max();
  const double truth = s[tx] + s[ty] - lambda * xi(e[tx], e[ty], root);
  int64_t above = 0;
  for (int64_t x = 0; x < p.l; ++x) {
    for (int64_t y = 0; y < p.l; ++y) {
      if (x == y || !(radius(x) < radius(y))) continue;
      if (s[x] + s[y] - lambda * xi(e[x], e[y], root) > truth) ++above;
    }
  }
  return above;
}

}  // namespace

TEST_CASE("BREEDS pairs: admissible pairs are the ordered pairs with x nearer the root", "[eval][breeds]") {
  const Problem p = random_problem(9, 1, 6, 3);
  const hc::LabelPairs pairs = hc::admissible_pairs(p.labels, p.root);
  CHECK(pairs.size() == 9 * 8 / 2);  // distinct radii: exactly one order of each pair
  const Vec root = unit(row(p.root.unsqueeze(0), 0));
  for (int64_t i = 0; i < pairs.size(); ++i) {
    const int64_t x = pairs.general[i].item<int64_t>(), y = pairs.specific[i].item<int64_t>();
    const Vec ex = row(p.labels, x), ey = row(p.labels, y);
    CHECK(dot(minus(ex, root), minus(ex, root)) < dot(minus(ey, root), minus(ey, root)));
    CHECK(pairs.angle[i].item<double>() == Approx(xi(ex, ey, root)).margin(1e-9));
    CHECK(pairs.index[x][y].item<int64_t>() == i);
    CHECK(pairs.index[y][x].item<int64_t>() == -1);
    CHECK(pairs.admissible(x, y));
  }
}

TEST_CASE("BREEDS pairs: counts above the truth match a loop over every pair and lambda", "[eval][breeds]") {
  const Problem p = random_problem(12, 40, 8, 7);
  const hc::LabelPairs pairs = hc::admissible_pairs(p.labels, p.root);
  const hc::LambdaGrid grid = hc::LambdaGrid::linspace(0.0, 0.6, 20);
  const hc::LambdaGrid shifted = hc::LambdaGrid::linspace(0.25, 2.0, 7);
  for (hc::PairKernel kernel : {hc::PairKernel::Tensor, hc::PairKernel::Loop}) {
    CAPTURE(static_cast<int>(kernel));
    // A small batch, so the tensor kernel's images span several batches.
    const at::Tensor above =
        hc::pairs_above_truth(p.similarities, p.general, p.specific, pairs, grid, kernel, 100);
    REQUIRE(above.sizes() == at::IntArrayRef({40, 20}));
    int64_t inadmissible = 0;
    for (int64_t i = 0; i < p.n; ++i) {
      for (int64_t j = 0; j < grid.count; ++j) {
        CAPTURE(i, j);
        CHECK(above[i][j].item<int64_t>() == brute_force_above(p, i, grid.at(j)));
      }
      inadmissible += above[i][0].item<int64_t>() == std::numeric_limits<int64_t>::max();
    }
    CHECK(inadmissible > 0);  // both kinds of ground truth occur in this problem
    CHECK(inadmissible < p.n);
    // A grid not starting at 0, and a single lambda.
    const at::Tensor above_shifted =
        hc::pairs_above_truth(p.similarities, p.general, p.specific, pairs, shifted, kernel);
    const at::Tensor single = hc::pairs_above_truth(p.similarities, p.general, p.specific, pairs,
                                                    hc::LambdaGrid::single(1.3), kernel);
    for (int64_t i = 0; i < p.n; ++i) {
      for (int64_t j = 0; j < shifted.count; ++j) {
        CHECK(above_shifted[i][j].item<int64_t>() == brute_force_above(p, i, shifted.at(j)));
      }
      CHECK(single[i][0].item<int64_t>() == brute_force_above(p, i, 1.3));
    }
    // float32 similarities give the same counts here but for near-ties.
    const at::Tensor above_float = hc::pairs_above_truth(p.similarities.to(at::kFloat), p.general,
                                                         p.specific, pairs, grid, kernel);
    CHECK((above_float != above).sum().item<int64_t>() <= 2);
  }
}

TEST_CASE("BREEDS pairs: the top pairs are the best-scoring admissible pairs", "[eval][breeds]") {
  const Problem p = random_problem(10, 6, 5, 11);
  const hc::LabelPairs pairs = hc::admissible_pairs(p.labels, p.root);
  const std::vector<double> lambdas{0.0, 0.1, 0.5, 1.0, 2.0, 0.3};
  const at::Tensor top = hc::top_pairs(p.similarities, pairs, lambdas, 3);
  REQUIRE(top.size(1) == 3);
  for (int64_t i = 0; i < p.n; ++i) {
    const Vec s = row(p.similarities, i);
    std::vector<std::pair<double, int64_t>> scored;
    for (int64_t q = 0; q < pairs.size(); ++q) {
      const int64_t x = pairs.general[q].item<int64_t>(), y = pairs.specific[q].item<int64_t>();
      scored.emplace_back(s[x] + s[y] - lambdas[i] * pairs.angle[q].item<double>(), q);
    }
    std::sort(scored.rbegin(), scored.rend());
    for (int64_t r = 0; r < 3; ++r) CHECK(top[i][r].item<int64_t>() == scored[r].second);
  }
}

TEST_CASE("lambda grid: numpy.linspace values and bad ranges", "[eval][breeds]") {
  const hc::LambdaGrid grid = hc::LambdaGrid::linspace(0.0, 0.2, 20);
  CHECK(grid.count == 20);
  CHECK(grid.at(0) == 0.0);
  CHECK(grid.at(19) == Approx(0.2).margin(1e-15));
  CHECK(grid.at(1) == Approx(0.2 / 19));
  CHECK(hc::LambdaGrid::linspace(0.5, 0.5, 1).values() == std::vector<double>{0.5});
  CHECK_THROWS_AS(hc::LambdaGrid::linspace(1.0, 0.0, 5), hc::Error);
  CHECK_THROWS_AS(hc::LambdaGrid::linspace(0.0, 1.0, 0), hc::Error);
}

TEST_CASE("two-fold split: deterministic, equal halves, disjoint", "[eval][breeds]") {
  const hc::TwoFoldSplit a = hc::two_fold_split(11, 5), b = hc::two_fold_split(11, 5);
  CHECK(a.folds == b.folds);
  CHECK(a.folds[0].size() == 6);
  CHECK(a.folds[1].size() == 5);
  std::set<std::size_t> all(a.folds[0].begin(), a.folds[0].end());
  all.insert(a.folds[1].begin(), a.folds[1].end());
  CHECK(all.size() == 11);
  CHECK(hc::two_fold_split(11, 6).folds != a.folds);
  // The seed's shuffle, pinned: std::mt19937_64's output is fixed by the standard.
  std::mt19937_64 generator(5);
  std::vector<std::size_t> order(11);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = 10; i > 0; --i) std::swap(order[i], order[generator() % (i + 1)]);
  std::vector<std::size_t> first(order.begin(), order.begin() + 6);
  std::sort(first.begin(), first.end());
  CHECK(a.folds[0] == first);
  CHECK_THROWS_AS(hc::two_fold_split(1, 0), hc::Error);
}

TEST_CASE("cross-validation: choose on one fold, report on the other, average", "[eval][breeds]") {
  std::mt19937_64 random(2);
  const std::size_t n = 50, g = 7;
  std::vector<uint8_t> hits(n * g);
  for (auto& h : hits) h = static_cast<uint8_t>(random() % 3 == 0);
  std::vector<double> grid;
  for (std::size_t j = 0; j < g; ++j) grid.push_back(0.1 * j);
  const hc::TwoFoldSplit split = hc::two_fold_split(n, 9);
  const hc::CrossValidated cv = hc::cross_validate(hits, grid, split);

  auto mean_on = [&](const std::vector<std::size_t>& fold, std::size_t j) {
    double sum = 0;
    for (std::size_t i : fold) sum += hits[i * g + j];
    return sum / fold.size();
  };
  double reported = 0;
  for (std::size_t f = 0; f < 2; ++f) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < g; ++j) {
      if (mean_on(split.folds[f], j) > mean_on(split.folds[f], best)) best = j;
    }
    CHECK(cv.folds[f].grid_index == best);
    CHECK(cv.folds[f].value == grid[best]);
    CHECK(cv.folds[f].chosen_score == Approx(mean_on(split.folds[f], best)));
    CHECK(cv.folds[f].held_out_score == Approx(mean_on(split.folds[1 - f], best)));
    reported += mean_on(split.folds[1 - f], best) / 2;
  }
  CHECK(cv.score == Approx(reported));
  // Ties go to the first (smallest) value.
  const std::vector<uint8_t> flat(n * g, 1);
  CHECK(hc::cross_validate(flat, grid, split).folds[0].grid_index == 0);
}

TEST_CASE("single prompt: every ordered pair, general label first", "[eval][breeds]") {
  const std::vector<std::string> labels{"dog", "animal", "cat"};
  const auto prompts = hc::two_label_prompts("a {0} of type {1}", labels);
  REQUIRE(prompts.size() == 6);
  CHECK(prompts[hc::ordered_pair_position(1, 0, 3)] == "a animal of type dog");
  CHECK(prompts[hc::ordered_pair_position(0, 2, 3)] == "a dog of type cat");
  CHECK(hc::two_label_prompts("a {} of type {}", labels) == prompts);
  CHECK(hc::two_label_prompts("a picture of a {1}, a type of {0}", labels)[hc::ordered_pair_position(1, 0, 3)] ==
        "a picture of a dog, a type of animal");
  CHECK_NOTHROW(hc::check_two_label_template("a picture of a {1}, a type of {0}", "t"));
  CHECK_THROWS_AS(hc::check_two_label_template("a {}", "t"), hc::Error);

  torch::manual_seed(1);
  const at::Tensor images = torch::randn({5, 4}, torch::kDouble);
  const at::Tensor text = torch::randn({6, 4}, torch::kDouble);
  const at::Tensor truth = torch::tensor({0, 5, 3, 2, 1}, torch::kLong);
  const at::Tensor above = hc::prompts_above_truth(images, text, truth, 7);
  for (int64_t i = 0; i < 5; ++i) {
    const at::Tensor sims = text.matmul(images[i]);
    CHECK(above[i].item<int64_t>() == (sims > sims[truth[i].item<int64_t>()]).sum().item<int64_t>());
  }
}
