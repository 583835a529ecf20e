#include "hc/text/utf8.h"

#include <cstdint>

#include "hc/core/error.h"

namespace hc::text {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// One decoding step: the code point at the front of bytes, or valid=false with the length of
// the maximal invalid subpart (at least 1) to skip.
struct Step {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};

// The allowed range of the second byte depends on the lead byte: this is what excludes
// overlong forms, surrogates and values past U+10FFFF (Unicode Table 3-7).
bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
  }
}

std::size_t sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte or a lead that can only start an overlong/out-of-range form
}

Step decode_step(std::string_view bytes, std::size_t pos) {
  const auto lead = static_cast<uint8_t>(bytes[pos]);
  Step step;
  const std::size_t length = sequence_length(lead);
  if (length == 0) return step;
  if (length == 1) return {lead, 1, true};
  char32_t value = lead & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) {
    if (pos + k >= bytes.size()) {
      step.length = k;
      return step;
    }
    const auto b = static_cast<uint8_t>(bytes[pos + k]);
    const bool ok = k == 1 ? second_byte_ok(lead, b) : (b & 0xC0) == 0x80;
    if (!ok) {
      step.length = k;
      return step;
    }
    value = (value << 6) | (b & 0x3F);
  }
  return {value, length, true};
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes, std::string_view what) {
  std::u32string out;
  out.reserve(bytes.size());
  for (std::size_t pos = 0; pos < bytes.size();) {
    const Step step = decode_step(bytes, pos);
    if (!step.valid) {
      throw runtime_error("{}: invalid UTF-8 at byte {} (expected UTF-8 text)", what, pos);
    }
    out.push_back(step.code_point);
    pos += step.length;
  }
  return out;
}

std::string repair_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t pos = 0; pos < bytes.size();) {
    const Step step = decode_step(bytes, pos);
    if (step.valid) {
      out.append(bytes.substr(pos, step.length));
    } else {
      append_utf8(kReplacement, out);
    }
    pos += step.length;
  }
  return out;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) append_utf8(c, out);
  return out;
}

}  // namespace hc::text
