#pragma once
// Two-fold cross-validation of one hyperparameter over a grid, as the paper chooses BREEDS'
// lambda (supp. 0.B.6): the test items are split into two equal folds; for each metric the
// value maximising it on one fold is chosen and the metric is reported on the other; the two
// held-out values are averaged. Ties between grid values go to the first (smallest lambda).
//
// The split is deterministic for a seed on every platform: a Fisher-Yates shuffle driven by
// std::mt19937_64 (whose output the standard fixes; std::shuffle's use of it is not fixed), the
// first ceil(n / 2) shuffled items forming fold 1. Torch-free.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hc {

struct TwoFoldSplit {
  std::array<std::vector<std::size_t>, 2> folds;  // item indices, each sorted
  uint64_t seed = 0;
};

// n >= 2 items (else a runtime hc::Error: a fold would be empty).
TwoFoldSplit two_fold_split(std::size_t n, uint64_t seed);

struct FoldChoice {
  std::size_t grid_index = 0;  // chosen on this fold
  double value = 0.0;          // the grid value chosen
  double chosen_score = 0.0;   // the metric on this fold at that value
  double held_out_score = 0.0; // the metric on the other fold at that value
};

struct CrossValidated {
  std::array<FoldChoice, 2> folds;  // folds[f]: chosen on fold f, reported on fold 1 - f
  double score = 0.0;               // mean of the two held-out scores
};

// hits: n rows of grid.size() 0/1 entries (row-major; item i at grid value j).
CrossValidated cross_validate(const std::vector<uint8_t>& hits, const std::vector<double>& grid,
                              const TwoFoldSplit& split);

// The mean of each grid column over the given items (all items when empty).
std::vector<double> column_means(const std::vector<uint8_t>& hits, std::size_t columns,
                                 const std::vector<std::size_t>& items = {});

// {"score", "folds": [{"chosen_on", "lambda", "grid_index", "chosen_score", "held_out_score"}, ...]}
nlohmann::ordered_json cross_validated_json(const CrossValidated& result);

}  // namespace hc
