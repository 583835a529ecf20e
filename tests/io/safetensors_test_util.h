#pragma once
// Byte-level helpers shared by the safetensors tests: build files by hand, check errors.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "hc/core/error.h"

namespace hc::test {

inline std::string little_endian_u64(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (auto& byte : bytes) {
    byte = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

// A safetensors file as raw bytes: the length prefix, the header text as given, then data.
inline std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  return little_endian_u64(header.size()) + header + data;
}

// Runs `action`, which must throw a runtime hc::Error whose message names `file` (its file name
// is enough) and contains `fault`.
template <typename Action>
void require_error(Action&& action, const std::filesystem::path& file, const std::string& fault) {
  try {
    action();
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Runtime);
    CHECK_THAT(e.what(), Catch::Matchers::Contains(file.filename().string()) &&
                             Catch::Matchers::Contains(fault));
    return;
  }
  FAIL("no hc::Error for " << file.string() << " (expected one saying: " << fault << ")");
}

}  // namespace hc::test
