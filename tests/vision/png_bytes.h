#pragma once
// Hand-built PNG files for the decoding rules the fixtures do not cover (16-bit samples,
// palette transparency, grey + alpha): no encoder library, stored (uncompressed) deflate.
#include <cstdint>
#include <string>
#include <vector>

namespace hc::test {

struct PngSpec {
  int width = 0;
  int height = 0;
  int bit_depth = 8;
  int color_type = 2;                  // 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
  std::vector<uint8_t> rows;           // raw samples, big-endian for 16 bits, no filter bytes
  std::vector<uint8_t> palette;        // PLTE: RGB triples
  std::vector<uint8_t> transparency;   // tRNS
};

std::string png_bytes(const PngSpec& spec);

}  // namespace hc::test
