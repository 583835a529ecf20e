#pragma once
// The JSON header of a safetensors file, parsed and checked against the size of the data section
// that follows it. Internal to the safetensors reader; split out so that the validation rules live
// in one place.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hc/io/safetensors.h"

namespace hc::safetensors_detail {

// safetensors' own reference limit: anything longer is a corrupt length, not a real header.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct HeaderEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::size_t begin = 0;  // relative to the start of the data section
  std::size_t end = 0;
};

struct Header {
  std::vector<HeaderEntry> tensors;  // in header order
  std::map<std::string, std::string> metadata;
};

// Throws hc::Error naming `file` and the fault: invalid JSON, a missing or mistyped field, an
// unknown dtype, negative dims, a byte range that does not match the shape, ranges past the end
// of the data section, and ranges that do not tile the data section exactly (a hole, an overlap,
// trailing bytes).
Header parse_header(std::string_view json_text, std::size_t data_size, const std::string& file);

}  // namespace hc::safetensors_detail
