#pragma once
// The loss scale of mixed-precision training (train.loss_scale): the loop multiplies the loss by
// scale() before backward, divides the gradients back, and skips a step whose gradients are not
// finite. Either fixed, or dynamic with the rule of PyTorch's torch.cuda.amp.GradScaler and its
// defaults:
//   start at 65536; a step with an inf/NaN gradient is skipped and the scale multiplied by 0.5
//   (the count of finite steps restarts); after 2000 consecutive finite steps the scale is
//   multiplied by 2 (kept as it was when that would not be a finite float32), the count restarts.
// The scale is held as a float32 value, as GradScaler holds it. Torch-free.
#include <cstdint>
#include <string>

namespace hc {

struct DynamicLossScaleOptions {
  double init_scale = 65536.0;    // 2^16
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class LossScaler {
 public:
  // A fixed scale (1: no scaling); a positive finite or infinite number.
  static LossScaler fixed(double scale);
  static LossScaler dynamic(const DynamicLossScaleOptions& options = {});
  // train.loss_scale's text: "dynamic" or a positive number; anything else is a usage hc::Error
  // naming the key.
  static LossScaler parse(const std::string& setting);

  double scale() const { return scale_; }
  bool is_dynamic() const { return dynamic_; }
  // Consecutive finite steps since the last growth or backoff (GradScaler's _growth_tracker).
  int64_t growth_tracker() const { return growth_tracker_; }
  // Whether the gradients need the finite check at all (a fixed scale of 1 never skips).
  bool checks_overflow() const { return dynamic_ || scale_ != 1.0; }

  // Records a step whose unscaled gradients were all finite (or not): returns whether the step
  // is applied. Only a dynamic scale changes.
  bool update(bool finite);
  // A dynamic scaler's state from a checkpoint (scale > 0, tracker >= 0; hc::Error otherwise).
  void restore(double scale, int64_t growth_tracker);

 private:
  LossScaler(bool dynamic, double scale, DynamicLossScaleOptions options)
      : dynamic_(dynamic), scale_(scale), options_(options) {}

  bool dynamic_ = false;
  double scale_ = 1.0;
  int64_t growth_tracker_ = 0;
  DynamicLossScaleOptions options_;
};

}  // namespace hc
