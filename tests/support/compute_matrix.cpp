#include "compute_matrix.h"

#include <torch/cuda.h>

#include "hc/core/error.h"
#include "hc/model/clip_model.h"
#include "hc/tensor/device.h"

namespace hc::test {

std::string ComputeCase::label() const {
  return device.str() + " " + hc::scalar_type_label(dtype);
}

std::vector<c10::Device> devices_present() {
  std::vector<c10::Device> devices{c10::Device(c10::kCPU)};
  if (torch::cuda::is_available()) devices.emplace_back(c10::kCUDA, 0);
  return devices;
}

double dtype_tolerance(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kHalf: return 1e-2;
    case c10::kBFloat16: return 4e-2;
    default: return 1e-5;
  }
}

std::vector<ComputeCase> compute_matrix() {
  std::vector<ComputeCase> cases;
  for (const c10::Device& device : devices_present()) {
    for (c10::ScalarType dtype : {c10::kFloat, c10::kHalf, c10::kBFloat16}) {
      try {
        hc::require_dtype_support(device, dtype);
      } catch (const hc::Error&) {
        continue;
      }
      cases.push_back({device, dtype, dtype_tolerance(dtype)});
    }
  }
  return cases;
}

}  // namespace hc::test
