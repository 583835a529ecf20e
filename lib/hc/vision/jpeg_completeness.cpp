#include "hc/vision/jpeg_completeness.h"

#include <cstring>

namespace hc {
namespace {

constexpr uint8_t kMarkerPrefix = 0xFF;
constexpr uint8_t kEndOfImage = 0xD9;

// Markers that stand alone, without a length field: TEM, RST0-7, SOI, and 0x00 (a stuffed
// 0xFF byte inside entropy-coded data).
bool is_standalone(uint8_t marker) {
  return marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8);
}

}  // namespace

bool jpeg_reaches_end_marker(const uint8_t* data, std::size_t size) {
  std::size_t pos = 2;  // past SOI
  while (pos < size) {
    // Entropy-coded data after SOS holds no 0xFF except as stuffing or RST markers.
    const void* next = std::memchr(data + pos, kMarkerPrefix, size - pos);
    if (!next) return false;
    pos = static_cast<const uint8_t*>(next) - data;
    while (pos < size && data[pos] == kMarkerPrefix) ++pos;  // fill bytes
    if (pos >= size) return false;
    const uint8_t marker = data[pos++];
    if (marker == kEndOfImage) return true;
    if (is_standalone(marker)) continue;
    if (pos + 2 > size) return false;
    const std::size_t length = (static_cast<std::size_t>(data[pos]) << 8) | data[pos + 1];
    if (length < 2) return false;
    pos += length;
  }
  return false;
}

}  // namespace hc
