#include "hc/tensor/device.h"

#include <cctype>

#include <torch/cuda.h>

#include "hc/core/error.h"

namespace hc {
namespace {

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

c10::Device parse_device(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::DeviceType::CPU);
  const std::string cuda = "cuda";
  if (text.compare(0, cuda.size(), cuda) != 0 ||
      (text.size() > cuda.size() &&
       (text[cuda.size()] != ':' || !all_digits(text.substr(cuda.size() + 1))))) {
    throw usage_error("device \"{}\": expected cpu, cuda or cuda:N", text);
  }
  int index = 0;
  if (text.size() > cuda.size()) {
    const std::string digits = text.substr(cuda.size() + 1);
    if (digits.size() > 4) throw usage_error("device \"{}\": device index out of range", text);
    index = std::stoi(digits);
  }
  if (!torch::cuda::is_available()) {
    throw runtime_error("device \"{}\": CUDA is not available (this libtorch has no CUDA support "
                        "or no GPU is visible); use --device cpu",
                        text);
  }
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (index >= count) {
    throw runtime_error("device \"{}\": only {} CUDA device(s) visible (cuda:0..cuda:{})", text,
                        count, count - 1);
  }
  return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index));
}

c10::ScalarType parse_scalar_type(const std::string& text) {
  if (text == "fp32" || text == "float32" || text == "float") return c10::ScalarType::Float;
  if (text == "fp16" || text == "float16" || text == "half") return c10::ScalarType::Half;
  if (text == "bf16" || text == "bfloat16") return c10::ScalarType::BFloat16;
  throw usage_error("dtype \"{}\": expected fp32, fp16 or bf16", text);
}

std::string scalar_type_label(c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Float: return "fp32";
    case c10::ScalarType::Half: return "fp16";
    case c10::ScalarType::BFloat16: return "bf16";
    case c10::ScalarType::Double: return "fp64";
    default: return c10::toString(type);
  }
}

}  // namespace hc
