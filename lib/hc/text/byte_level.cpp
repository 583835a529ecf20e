#include "hc/text/byte_level.h"

namespace hc::text {
namespace {

bool is_printable_latin1(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteTables {
  std::array<uint8_t, 256> order{};
  std::array<char32_t, 256> to_char{};
};

ByteTables build_tables() {
  ByteTables t;
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    if (is_printable_latin1(b)) {
      t.order[next++] = static_cast<uint8_t>(b);
      t.to_char[b] = static_cast<char32_t>(b);
    }
  }
  int shifted = 0;
  for (int b = 0; b < 256; ++b) {
    if (!is_printable_latin1(b)) {
      t.order[next++] = static_cast<uint8_t>(b);
      t.to_char[b] = static_cast<char32_t>(256 + shifted++);
    }
  }
  return t;
}

const ByteTables& tables() {
  static const ByteTables t = build_tables();
  return t;
}

}  // namespace

const std::array<uint8_t, 256>& byte_order() { return tables().order; }

char32_t byte_to_char(uint8_t byte) { return tables().to_char[byte]; }

std::optional<uint8_t> char_to_byte(char32_t c) {
  if (c < 256 && is_printable_latin1(static_cast<int>(c))) return static_cast<uint8_t>(c);
  if (c >= 256 && c < 256 + 68) {
    // The 68 non-printable bytes, in byte order, took U+0100.. in turn.
    int seen = 0;
    for (int b = 0; b < 256; ++b) {
      if (!is_printable_latin1(b) && 256 + seen++ == static_cast<int>(c)) {
        return static_cast<uint8_t>(b);
      }
    }
  }
  return std::nullopt;
}

}  // namespace hc::text
