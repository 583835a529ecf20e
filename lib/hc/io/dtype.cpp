#include <array>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"

// safetensors stores little-endian data and the reader hands out views of the mapped bytes as
// they are, so the host must be little-endian too.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors views assume a little-endian host");

namespace hc {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};

constexpr std::array<DTypeInfo, 10> kDTypes{{
    {DType::F64, "F64", 8},
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8},
    {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},
    {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
}};

const DTypeInfo& info(DType dtype) {
  for (const auto& entry : kDTypes) {
    if (entry.dtype == dtype) return entry;
  }
  throw runtime_error("invalid DType value {}", static_cast<int>(dtype));
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }

const char* dtype_name(DType dtype) { return info(dtype).name; }

DType parse_dtype(const std::string& name, const std::string& where) {
  for (const auto& entry : kDTypes) {
    if (name == entry.name) return entry.dtype;
  }
  throw runtime_error("{}: unknown dtype \"{}\" (expected one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)",
                      where, name);
}

}  // namespace hc
