#include "hc/train/loss_scaler.h"

#include <charconv>
#include <cmath>

#include "hc/core/error.h"

namespace hc {
namespace {

// GradScaler keeps its scale in a float32 tensor: every update rounds to float32.
double as_float32(double value) { return static_cast<double>(static_cast<float>(value)); }

}  // namespace

LossScaler LossScaler::fixed(double scale) {
  if (!(scale > 0)) throw usage_error("train.loss_scale {}: expected a positive number", scale);
  return LossScaler(false, scale, {});
}

LossScaler LossScaler::dynamic(const DynamicLossScaleOptions& options) {
  if (!(options.init_scale > 0) || !(options.growth_factor > 1) ||
      !(options.backoff_factor > 0 && options.backoff_factor < 1) || options.growth_interval < 1) {
    throw usage_error("dynamic loss scale: expected init > 0, growth > 1, 0 < backoff < 1 and "
                      "an interval >= 1");
  }
  return LossScaler(true, as_float32(options.init_scale), options);
}

LossScaler LossScaler::parse(const std::string& setting) {
  if (setting == "dynamic") return dynamic();
  double value = 0;
  const char* begin = setting.data();
  const char* end = begin + setting.size();
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (setting.empty() || error != std::errc() || stop != end || !(value > 0)) {
    throw usage_error("train.loss_scale '{}': expected dynamic or a positive number", setting);
  }
  return fixed(value);
}

bool LossScaler::update(bool finite) {
  if (!dynamic_) return finite;
  if (!finite) {
    scale_ = as_float32(scale_ * options_.backoff_factor);
    growth_tracker_ = 0;
    return false;
  }
  if (++growth_tracker_ == options_.growth_interval) {
    const double grown = as_float32(scale_ * options_.growth_factor);
    if (std::isfinite(grown)) scale_ = grown;
    growth_tracker_ = 0;
  }
  return true;
}

void LossScaler::restore(double scale, int64_t growth_tracker) {
  if (!dynamic_) throw runtime_error("a fixed train.loss_scale has no state to restore");
  if (!(scale > 0) || growth_tracker < 0 || growth_tracker >= options_.growth_interval) {
    throw runtime_error("a saved dynamic loss scale {} with growth tracker {}: expected a scale "
                        "> 0 and a tracker in [0, {})",
                        scale, growth_tracker, options_.growth_interval);
  }
  scale_ = scale;
  growth_tracker_ = growth_tracker;
}

}  // namespace hc
