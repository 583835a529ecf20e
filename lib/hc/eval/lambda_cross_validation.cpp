#include "hc/eval/lambda_cross_validation.h"

#include <algorithm>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"

namespace hc {

TwoFoldSplit two_fold_split(std::size_t n, uint64_t seed) {
  if (n < 2) throw runtime_error("two-fold cross-validation needs at least 2 items, got {}", n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 generator(seed);
  for (std::size_t i = n - 1; i > 0; --i) {
    const std::size_t j = static_cast<std::size_t>(generator() % (i + 1));
    std::swap(order[i], order[j]);
  }
  TwoFoldSplit split;
  split.seed = seed;
  const std::size_t first = (n + 1) / 2;
  split.folds[0].assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(first));
  split.folds[1].assign(order.begin() + static_cast<std::ptrdiff_t>(first), order.end());
  for (auto& fold : split.folds) std::sort(fold.begin(), fold.end());
  return split;
}

std::vector<double> column_means(const std::vector<uint8_t>& hits, std::size_t columns,
                                 const std::vector<std::size_t>& items) {
  std::vector<double> sums(columns, 0.0);
  const std::size_t rows = columns == 0 ? 0 : hits.size() / columns;
  auto add = [&](std::size_t row) {
    for (std::size_t j = 0; j < columns; ++j) sums[j] += hits[row * columns + j];
  };
  if (items.empty()) {
    for (std::size_t i = 0; i < rows; ++i) add(i);
  } else {
    for (std::size_t i : items) add(i);
  }
  const double count = static_cast<double>(items.empty() ? rows : items.size());
  for (double& sum : sums) sum = count > 0 ? sum / count : 0.0;
  return sums;
}

CrossValidated cross_validate(const std::vector<uint8_t>& hits, const std::vector<double>& grid,
                              const TwoFoldSplit& split) {
  const std::size_t columns = grid.size();
  if (columns == 0 || hits.size() % columns != 0) {
    throw runtime_error("cross-validation: {} hits do not fill rows of {} grid values", hits.size(),
                        columns);
  }
  CrossValidated result;
  std::array<std::vector<double>, 2> means;
  for (std::size_t f = 0; f < 2; ++f) means[f] = column_means(hits, columns, split.folds[f]);
  for (std::size_t f = 0; f < 2; ++f) {
    const auto best = std::max_element(means[f].begin(), means[f].end());  // first of equals
    FoldChoice& choice = result.folds[f];
    choice.grid_index = static_cast<std::size_t>(best - means[f].begin());
    choice.value = grid[choice.grid_index];
    choice.chosen_score = *best;
    choice.held_out_score = means[1 - f][choice.grid_index];
  }
  result.score = (result.folds[0].held_out_score + result.folds[1].held_out_score) / 2.0;
  return result;
}

nlohmann::ordered_json cross_validated_json(const CrossValidated& result) {
  nlohmann::ordered_json folds = nlohmann::ordered_json::array();
  for (std::size_t f = 0; f < 2; ++f) {
    const FoldChoice& choice = result.folds[f];
    folds.push_back({{"chosen_on", f + 1},
                     {"reported_on", 2 - f},
                     {"lambda", choice.value},
                     {"grid_index", choice.grid_index},
                     {"chosen_score", choice.chosen_score},
                     {"held_out_score", choice.held_out_score}});
  }
  return {{"score", result.score}, {"folds", folds}};
}

}  // namespace hc
