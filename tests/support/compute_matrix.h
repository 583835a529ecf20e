#pragma once
// The devices and dtypes a torch test runs on, in one place: every device this machine has
// (the CPU, and CUDA device 0 when present) by every compute dtype, with a tolerance per dtype
// (CTranslate2's: fp32 1e-5, fp16 1e-2, bf16 4e-2). In Catch2:
//   const auto device = GENERATE(from_range(hc::test::devices_present()));
//   const auto c = GENERATE(from_range(hc::test::compute_matrix()));
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace hc::test {

struct ComputeCase {
  c10::Device device;
  c10::ScalarType dtype;
  double tolerance;  // absolute, for values of order 1

  std::string label() const;  // "cpu bf16"
};

std::vector<c10::Device> devices_present();

// The tolerance of a dtype: fp32 (and fp64) 1e-5, fp16 1e-2, bf16 4e-2.
double dtype_tolerance(c10::ScalarType dtype);

// Every present device by fp32, fp16 and bf16. A pair this libtorch cannot run (fp16 on the CPU
// of libtorch 1.13) is left out only when hc::require_dtype_support refuses it; tests of that
// refusal check it themselves.
std::vector<ComputeCase> compute_matrix();

}  // namespace hc::test
