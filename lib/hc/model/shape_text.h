#pragma once
// "[24, 77]": tensor shapes in error messages.
#include <string>

#include <c10/util/ArrayRef.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace hc {

inline std::string shape_text(c10::IntArrayRef shape) {
  return fmt::format("[{}]", fmt::join(shape.begin(), shape.end(), ", "));
}

}  // namespace hc
