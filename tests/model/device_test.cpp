// hc/tensor/device.h (device and dtype options); kept with the model tests that use it.

#include "catch_torch.h"

#include "hc/core/error.h"
#include "hc/tensor/device.h"
#include "model_test_util.h"

TEST_CASE("Device strings", "[model][device]") {
  CHECK(hc::parse_device("cpu") == torch::Device(torch::kCPU));
  for (const char* bad : {"", "gpu", "cuda:", "cuda:x", "cuda0", "CPU", "cuda:-1"}) {
    INFO(bad);
    CHECK_THROWS_AS(hc::parse_device(bad), hc::Error);
  }
  if (torch::cuda::is_available()) {
    CHECK(hc::parse_device("cuda") == torch::Device(torch::kCUDA, 0));
    CHECK(hc::parse_device("cuda:0") == torch::Device(torch::kCUDA, 0));
    hc::test::require_hc_error([] { hc::parse_device("cuda:99"); }, {"cuda:99"});
  } else {
    hc::test::require_hc_error([] { hc::parse_device("cuda:1"); }, {"cuda:1", "not available"});
  }
}

TEST_CASE("Dtype strings", "[model][device]") {
  CHECK(hc::parse_scalar_type("fp32") == torch::kFloat);
  CHECK(hc::parse_scalar_type("fp16") == torch::kHalf);
  CHECK(hc::parse_scalar_type("bf16") == torch::kBFloat16);
  CHECK(hc::parse_scalar_type("bfloat16") == torch::kBFloat16);
  CHECK(hc::scalar_type_label(torch::kBFloat16) == "bf16");
  try {
    hc::parse_scalar_type("int8");
    FAIL("int8 accepted");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("fp32, fp16 or bf16"));
  }
}
