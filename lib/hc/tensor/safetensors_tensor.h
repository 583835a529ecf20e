#pragma once
// Between safetensors views (hc/io/safetensors.h, torch-free) and torch tensors. Light header:
// at::Tensor is torch::Tensor, so callers holding torch::Tensor use these as they are.
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

// The stored values as a CPU tensor of their stored type that reads the file's mapping in place
// when it can (no copy): for copying into an existing tensor (`parameter.copy_(...)` converts
// dtype and device on the way). Read-only, and valid only while the file is open.
at::Tensor mapped_tensor(const TensorView& view);

// Adds a copy of the tensor (moved to the CPU, made contiguous) to the writer. For small files;
// save_tensors streams large ones.
void add_tensor(SafetensorsWriter& writer, const std::string& name, const at::Tensor& tensor);

struct NamedTensor {
  std::string name;
  at::Tensor tensor;  // any device, dtype and layout
};

// Writes tensors as one safetensors file without a second copy of them in memory: the header
// first, then one tensor at a time moved to the CPU, converted (floating tensors to
// floating_dtype when given; integer and bool tensors keep theirs), made contiguous, written and
// released. A CPU tensor already in its stored dtype and contiguous is written in place. The
// file appears atomically (write_safetensors_file). Undefined tensors and torch dtypes
// safetensors cannot hold are hc::Errors naming the tensor.
void save_tensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                  const std::map<std::string, std::string>& metadata = {},
                  std::optional<c10::ScalarType> floating_dtype = std::nullopt);
// The same into a stream (write_safetensors); `what` names it in errors.
void write_tensors(std::ostream& out, const std::vector<NamedTensor>& tensors,
                   const std::map<std::string, std::string>& metadata,
                   std::optional<c10::ScalarType> floating_dtype, const std::string& what);

}  // namespace hc
