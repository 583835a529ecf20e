#include "hc/train/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "hc/core/error.h"

namespace hc {
namespace {

// libtorch 2.4 keyed autocast by device type; the older per-backend calls are deprecated there.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool cuda_enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
void set_cuda_enabled(bool on) { at::autocast::set_autocast_enabled(at::kCUDA, on); }
at::ScalarType cuda_dtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }
void set_cuda_dtype(at::ScalarType dtype) { at::autocast::set_autocast_dtype(at::kCUDA, dtype); }
#else
bool cuda_enabled() { return at::autocast::is_enabled(); }
void set_cuda_enabled(bool on) { at::autocast::set_enabled(on); }
at::ScalarType cuda_dtype() { return at::autocast::get_autocast_gpu_dtype(); }
void set_cuda_dtype(at::ScalarType dtype) { at::autocast::set_autocast_gpu_dtype(dtype); }
#endif

}  // namespace

AutocastMode parse_autocast(const std::string& name, c10::Device device) {
  AutocastMode mode;
  if (name == "none") {
    mode = AutocastMode::None;
  } else if (name == "bf16") {
    mode = AutocastMode::BFloat16;
  } else if (name == "fp16") {
    mode = AutocastMode::Float16;
  } else {
    throw usage_error("train.autocast '{}': expected none, bf16 or fp16", name);
  }
  if (mode != AutocastMode::None && !device.is_cuda()) {
    throw usage_error("train.autocast {} runs on CUDA only (the device is {}); use none on the "
                      "CPU",
                      name, device.str());
  }
  return mode;
}

AutocastScope::AutocastScope(AutocastMode mode) {
  if (mode == AutocastMode::None) return;
  active_ = true;
  was_enabled_ = cuda_enabled();
  dtype_ = static_cast<int>(cuda_dtype());
  set_cuda_dtype(mode == AutocastMode::BFloat16 ? at::kBFloat16 : at::kHalf);
  set_cuda_enabled(true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_cuda_enabled(was_enabled_);
  set_cuda_dtype(static_cast<at::ScalarType>(dtype_));
}

}  // namespace hc
