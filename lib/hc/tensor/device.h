#pragma once
// Device and dtype selection from the strings every binary accepts (--device, --dtype,
// --threads). Light header: only c10's Device and ScalarType.
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace hc {

// "cpu", "cuda" (device 0) or "cuda:N". Throws a usage hc::Error for anything else, and a
// runtime hc::Error when CUDA is asked for but this build or machine has no such device.
c10::Device parse_device(const std::string& text);

// "fp32" | "fp16" | "bf16" (also "float32", "float16", "bfloat16", "float", "half") ->
// ScalarType. Throws a usage hc::Error listing the accepted names.
c10::ScalarType parse_scalar_type(const std::string& text);

// The short name used in options and results: "fp32", "fp16", "bf16".
std::string scalar_type_label(c10::ScalarType type);

}  // namespace hc
