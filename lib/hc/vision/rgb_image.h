#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hc {

// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC): the form every image takes
// between decoding and normalisation, as Pillow's "RGB" mode does in the reference pipeline.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // height * width * 3

  RgbImage() = default;
  RgbImage(int w, int h) : width(w), height(h), pixels(static_cast<std::size_t>(w) * h * 3) {}

  std::size_t row_bytes() const { return static_cast<std::size_t>(width) * 3; }
  uint8_t* row(int y) { return pixels.data() + y * row_bytes(); }
  const uint8_t* row(int y) const { return pixels.data() + y * row_bytes(); }
};

// A rectangle of pixels: columns [left, left + width), rows [top, top + height).
struct PixelRect {
  int left = 0;
  int top = 0;
  int width = 0;
  int height = 0;
};

}  // namespace hc
