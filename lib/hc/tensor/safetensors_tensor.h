#pragma once
// Between safetensors views (hc/io/safetensors.h, torch-free) and torch tensors. Light header:
// at::Tensor is torch::Tensor, so callers holding torch::Tensor use these as they are.
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "hc/io/safetensors.h"

namespace hc {

c10::ScalarType to_scalar_type(DType dtype);
// Throws hc::Error for torch types safetensors files here cannot hold (complex, quantized, ...).
DType from_scalar_type(c10::ScalarType type);

// A tensor of its own (never a view of the mapping) on `device`, converted to target_dtype when
// given. Works one tensor at a time, so loading a checkpoint needs only its size plus the largest
// tensor, not twice its size. BOOL bytes other than 0 and 1 read as true.
at::Tensor to_tensor(const TensorView& view, c10::Device device,
                     std::optional<c10::ScalarType> target_dtype = std::nullopt);

// Adds a copy of the tensor (moved to the CPU, made contiguous) to the writer.
void add_tensor(SafetensorsWriter& writer, const std::string& name, const at::Tensor& tensor);

}  // namespace hc
