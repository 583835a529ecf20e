#include "hc/hgclip/lr_plateau.h"

#include <algorithm>
#include <cmath>

#include "hc/core/error.h"

namespace hc {

LrPlateau::LrPlateau(PlateauOptions options) : options_(options) {}

std::vector<double> LrPlateau::step(double metric, const std::vector<double>& rates) {
  ++evaluations_;
  if (metric > best_ * (1 + options_.threshold) || std::isinf(best_)) {
    best_ = metric;
    bad_evaluations_ = 0;
  } else {
    ++bad_evaluations_;
  }
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    bad_evaluations_ = 0;
  }
  if (bad_evaluations_ <= options_.patience) return rates;
  std::vector<double> reduced = rates;
  for (double& rate : reduced) {
    const double lower = std::max(rate * options_.factor, options_.min_lr);
    if (rate - lower > options_.eps) rate = lower;
  }
  cooldown_left_ = options_.cooldown;
  bad_evaluations_ = 0;
  if (reduced != rates) ++reductions_;
  return reduced;
}

nlohmann::json LrPlateau::to_json() const {
  return {{"best", std::isinf(best_) ? nlohmann::json(nullptr) : nlohmann::json(best_)},
          {"bad_evaluations", bad_evaluations_},
          {"cooldown_left", cooldown_left_},
          {"evaluations", evaluations_},
          {"reductions", reductions_}};
}

void LrPlateau::restore(const nlohmann::json& state, const std::string& source) {
  try {
    best_ = state.at("best").is_null() ? -std::numeric_limits<double>::infinity()
                                       : state.at("best").get<double>();
    bad_evaluations_ = state.at("bad_evaluations").get<int64_t>();
    cooldown_left_ = state.at("cooldown_left").get<int64_t>();
    evaluations_ = state.at("evaluations").get<int64_t>();
    reductions_ = state.at("reductions").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw runtime_error("{}: malformed learning-rate plateau state: {}", source, e.what());
  }
}

}  // namespace hc
