#include "hc/tensor/safetensors_tensor.h"

#include <cstdint>
#include <cstring>
#include <ostream>

#include "hc/core/error.h"

namespace hc {
namespace {

struct DTypePair {
  DType dtype;
  c10::ScalarType scalar_type;
};

constexpr DTypePair kPairs[] = {
    {DType::F64, c10::kDouble}, {DType::F32, c10::kFloat},  {DType::F16, c10::kHalf},
    {DType::BF16, c10::kBFloat16}, {DType::I64, c10::kLong}, {DType::I32, c10::kInt},
    {DType::I16, c10::kShort},  {DType::I8, c10::kChar},    {DType::U8, c10::kByte},
    {DType::BOOL, c10::kBool},
};

// BOOL is read as bytes: torch expects exactly 0 or 1 in a bool tensor, and a file may hold
// any byte there.
c10::ScalarType storage_type(DType dtype) {
  return dtype == DType::BOOL ? c10::kByte : to_scalar_type(dtype);
}

// The file's bytes as a CPU tensor of the stored type, without copying when the mapping is aligned
// for the element type. Headers whose length is not a multiple of 8 leave data misaligned; those
// tensors are copied into fresh storage first, since torch kernels assume aligned elements.
at::Tensor stored_tensor(const TensorView& view) {
  auto options = at::TensorOptions().dtype(storage_type(view.dtype)).device(c10::kCPU);
  auto address = reinterpret_cast<std::uintptr_t>(view.data);
  if (address % dtype_size(view.dtype) == 0) {
    // The mapping is read-only; the blob is only ever read from, then copied out.
    return at::from_blob(const_cast<std::byte*>(view.data), view.shape, options);
  }
  at::Tensor copy = at::empty(view.shape, options);
  std::memcpy(copy.data_ptr(), view.data, view.nbytes);
  return copy;
}

// The dtype a tensor is stored in: floating tensors in floating_dtype when given.
DType stored_dtype(const std::string& name, const at::Tensor& tensor,
                   std::optional<c10::ScalarType> floating_dtype) {
  if (!tensor.defined()) throw runtime_error("cannot save tensor \"{}\": it is undefined", name);
  c10::ScalarType type = tensor.scalar_type();
  if (floating_dtype && at::isFloatingType(type)) type = *floating_dtype;
  try {
    return from_scalar_type(type);
  } catch (const Error& e) {
    throw runtime_error("cannot save tensor \"{}\": {}", name, e.what());
  }
}

std::vector<TensorSpec> tensor_specs(const std::vector<NamedTensor>& tensors,
                                     std::optional<c10::ScalarType> floating_dtype) {
  std::vector<TensorSpec> specs;
  specs.reserve(tensors.size());
  for (const NamedTensor& item : tensors) {
    specs.push_back({item.name, stored_dtype(item.name, item.tensor, floating_dtype),
                     item.tensor.sizes().vec()});
  }
  return specs;
}

// Each tensor's bytes, converted when its turn comes and released right after.
TensorBytesWriter stream_bytes(const std::vector<NamedTensor>& tensors,
                               std::optional<c10::ScalarType> floating_dtype) {
  return [&tensors, floating_dtype](std::size_t index, std::ostream& out) {
    const at::Tensor& tensor = tensors[index].tensor;
    const c10::ScalarType type = to_scalar_type(
        stored_dtype(tensors[index].name, tensor, floating_dtype));
    const at::Tensor cpu = tensor.detach().to(c10::kCPU, type).contiguous();
    out.write(static_cast<const char*>(cpu.data_ptr()), static_cast<std::streamsize>(cpu.nbytes()));
  };
}

}  // namespace

c10::ScalarType to_scalar_type(DType dtype) {
  for (const auto& pair : kPairs) {
    if (pair.dtype == dtype) return pair.scalar_type;
  }
  throw runtime_error("invalid DType value {}", static_cast<int>(dtype));
}

DType from_scalar_type(c10::ScalarType type) {
  for (const auto& pair : kPairs) {
    if (pair.scalar_type == type) return pair.dtype;
  }
  throw runtime_error("torch dtype {} has no safetensors dtype here (supported: F64 F32 F16 BF16 "
                      "I64 I32 I16 I8 U8 BOOL)", c10::toString(type));
}

at::Tensor to_tensor(const TensorView& view, c10::Device device,
                     std::optional<c10::ScalarType> target_dtype) {
  c10::ScalarType target = target_dtype.value_or(to_scalar_type(view.dtype));
  if (view.nbytes == 0) return at::empty(view.shape, at::TensorOptions().dtype(target).device(device));
  at::Tensor stored = stored_tensor(view);
  if (view.dtype == DType::BOOL) stored = stored.ne(0);
  // The result must never share memory with the mapping, even when device and dtype stay.
  bool borrows_mapping = stored.data_ptr() == static_cast<const void*>(view.data);
  return stored.to(device, target, /*non_blocking=*/false, /*copy=*/borrows_mapping);
}

at::Tensor mapped_tensor(const TensorView& view) {
  if (view.nbytes == 0) return at::empty(view.shape, at::TensorOptions().dtype(storage_type(view.dtype)));
  at::Tensor stored = stored_tensor(view);
  return view.dtype == DType::BOOL ? stored.ne(0) : stored;
}

void add_tensor(SafetensorsWriter& writer, const std::string& name, const at::Tensor& tensor) {
  const DType dtype = stored_dtype(name, tensor, std::nullopt);
  at::Tensor cpu = tensor.detach().to(c10::kCPU).contiguous();
  writer.add(name, dtype, cpu.sizes().vec(), cpu.data_ptr(), cpu.nbytes());
}

void write_tensors(std::ostream& out, const std::vector<NamedTensor>& tensors,
                   const std::map<std::string, std::string>& metadata,
                   std::optional<c10::ScalarType> floating_dtype, const std::string& what) {
  write_safetensors(out, tensor_specs(tensors, floating_dtype), metadata,
                    stream_bytes(tensors, floating_dtype), what);
}

void save_tensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                  const std::map<std::string, std::string>& metadata,
                  std::optional<c10::ScalarType> floating_dtype) {
  write_safetensors_file(path, tensor_specs(tensors, floating_dtype), metadata,
                         stream_bytes(tensors, floating_dtype));
}

}  // namespace hc
