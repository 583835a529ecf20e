#pragma once
// PyTorch's ReduceLROnPlateau in "max" mode with a relative threshold, as HGCLIP's main.py uses
// it (patience 5, factor 0.1, min_lr 1e-7): after every evaluation the metric is compared with
// the best so far; more than `patience` evaluations in a row without a relative gain above
// `threshold` multiply every learning rate by `factor` (never below min_lr) and restart the
// count after `cooldown` evaluations. Torch-free: it says what the rates become; the caller sets
// them. The state goes into checkpoints (to_json / from_json) so a resumed run schedules as an
// uninterrupted one.
#include <cstdint>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

struct PlateauOptions {
  int64_t patience = 5;
  double factor = 0.1;
  double min_lr = 1e-7;
  double threshold = 1e-4;  // relative: better means metric > best * (1 + threshold)
  int64_t cooldown = 0;
  double eps = 1e-8;        // a reduction smaller than this is not applied
};

class LrPlateau {
 public:
  explicit LrPlateau(PlateauOptions options = {});

  // One evaluation's metric (higher is better). Returns the new rates for `rates` (the current
  // ones, one per param group): unchanged unless this evaluation ends a plateau.
  std::vector<double> step(double metric, const std::vector<double>& rates);

  int64_t reductions() const { return reductions_; }
  double best() const { return best_; }

  nlohmann::json to_json() const;
  // A state saved by to_json (hc::Error naming `source` when malformed).
  void restore(const nlohmann::json& state, const std::string& source);

 private:
  PlateauOptions options_;
  double best_ = -std::numeric_limits<double>::infinity();
  int64_t bad_evaluations_ = 0;
  int64_t cooldown_left_ = 0;
  int64_t evaluations_ = 0;
  int64_t reductions_ = 0;
};

}  // namespace hc
