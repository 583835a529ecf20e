#pragma once
// Mixed precision for training on CUDA: inside an AutocastScope the operations torch's autocast
// lists (matrix products, attention) run in bf16 or fp16 while the weights, their gradients and
// the optimiser stay float32 (fp16 weights under AdamW go NaN: openai/CLIP #40). fp16 gradients
// underflow without loss scaling: the loop multiplies the loss by train.loss_scale and divides
// the gradients back before the step, skipping a step whose gradients overflowed.
// CPU autocast is not offered: libtorch 1.13's CPU autocast lists few operations and its bf16
// products were slower than fp32 ones in this project's measurements (docs/performance.md).
#include <string>

#include <c10/core/Device.h>

namespace hc {

enum class AutocastMode { None, BFloat16, Float16 };

// "none", "bf16", "fp16"; anything else, or a mode other than none off CUDA, is a usage hc::Error.
AutocastMode parse_autocast(const std::string& name, c10::Device device);

// Turns autocast on for CUDA in its constructor (nothing for None) and restores the previous
// state, clearing autocast's cast cache, in its destructor.
class AutocastScope {
 public:
  explicit AutocastScope(AutocastMode mode);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool was_enabled_ = false;
  int dtype_ = 0;  // the previous autocast dtype (an at::ScalarType)
};

}  // namespace hc
