#include "png_bytes.h"

#include <algorithm>

namespace hc::test {
namespace {

uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t adler32(const std::string& bytes) {
  uint32_t a = 1, b = 0;
  for (unsigned char byte : bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

std::string big_endian(uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8), static_cast<char>(value)};
}

std::string chunk(const std::string& type, const std::string& data) {
  return big_endian(static_cast<uint32_t>(data.size())) + type + data + big_endian(crc32(type + data));
}

// A zlib stream of stored deflate blocks (at most 65535 bytes each).
std::string zlib_stored(const std::string& data) {
  std::string out = "\x78\x01";
  std::size_t pos = 0;
  do {
    const std::size_t length = std::min<std::size_t>(65535, data.size() - pos);
    const bool last = pos + length == data.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(length & 0xFF);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(~length & 0xFF);
    out += static_cast<char>((~length >> 8) & 0xFF);
    out += data.substr(pos, length);
    pos += length;
  } while (pos < data.size());
  return out + big_endian(adler32(data));
}

int samples_per_pixel(int color_type) {
  switch (color_type) {
    case 2: return 3;
    case 4: return 2;
    case 6: return 4;
    default: return 1;
  }
}

}  // namespace

std::string png_bytes(const PngSpec& spec) {
  std::string header = big_endian(spec.width) + big_endian(spec.height);
  header += static_cast<char>(spec.bit_depth);
  header += static_cast<char>(spec.color_type);
  header += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
  const std::size_t row_bytes =
      static_cast<std::size_t>(spec.width) * samples_per_pixel(spec.color_type) * spec.bit_depth / 8;
  std::string scanlines;
  for (int y = 0; y < spec.height; ++y) {
    scanlines += '\0';  // filter type None
    scanlines.append(reinterpret_cast<const char*>(spec.rows.data()) + y * row_bytes, row_bytes);
  }
  std::string png = "\x89PNG\r\n\x1a\n";
  png += chunk("IHDR", header);
  if (!spec.palette.empty()) png += chunk("PLTE", std::string(spec.palette.begin(), spec.palette.end()));
  if (!spec.transparency.empty()) {
    png += chunk("tRNS", std::string(spec.transparency.begin(), spec.transparency.end()));
  }
  png += chunk("IDAT", zlib_stored(scanlines));
  png += chunk("IEND", "");
  return png;
}

}  // namespace hc::test
