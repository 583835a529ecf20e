#include "hc/core/byte_size.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "hc/core/error.h"

namespace hc {

namespace {

constexpr const char* kUnits = "KMGTPE";

// 1024^power for the unit letter, or -1.
int unit_power(char letter) {
  const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(letter)));
  for (int i = 0; kUnits[i] != '\0'; ++i) {
    if (kUnits[i] == upper) return i + 1;
  }
  return -1;
}

}  // namespace

int64_t parse_byte_size(const std::string& text, const std::string& what) {
  const auto fail = [&] {
    return usage_error("{}: expected a size such as 4096, 512M, 20G or 1.5TiB, got '{}'", what,
                       text);
  };
  std::size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
    ++end;
  }
  if (end == 0) throw fail();
  char* parsed_end = nullptr;
  const std::string number = text.substr(0, end);
  const double value = std::strtod(number.c_str(), &parsed_end);
  if (parsed_end != number.c_str() + number.size() || !std::isfinite(value)) throw fail();

  std::string suffix = text.substr(end);
  int power = 0;
  if (!suffix.empty() && unit_power(suffix[0]) > 0) {
    power = unit_power(suffix[0]);
    suffix.erase(0, 1);
    if (!suffix.empty() && (suffix[0] == 'i' || suffix[0] == 'I')) suffix.erase(0, 1);
  }
  if (suffix == "B" || suffix == "b") suffix.clear();
  if (!suffix.empty()) throw fail();

  const double bytes = std::ldexp(value, 10 * power);
  if (bytes >= 9.2e18) throw usage_error("{}: '{}' is too large", what, text);
  if (power == 0 && value != std::floor(value)) throw fail();  // a fraction of a byte
  return static_cast<int64_t>(std::llround(bytes));
}

std::string format_byte_size(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int power = 0;
  while (value >= 1024.0 && kUnits[power] != '\0') {
    value /= 1024.0;
    ++power;
  }
  const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  return fmt::format("{:.{}f} {}iB", value, decimals, kUnits[power - 1]);
}

}  // namespace hc
