#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "hc/vision/rgb_image.h"

namespace hc {

// Pixels as the decoder hands them over, before conversion to RGB. Channel order is OpenCV's:
// 1 = grey, 3 = BGR, 4 = BGRA; samples are 8 or 16 bits (native-endian uint16).
struct DecodedPixels {
  int width = 0;
  int height = 0;
  int channels = 0;
  int bits = 8;
  const void* data = nullptr;
  std::size_t row_bytes = 0;
};

// Pillow's `Image.open(f).convert("RGB")` for what Pillow 9.4 opens these files as:
//  - grey: the value replicated (L -> RGB);
//  - BGRA: alpha dropped, not composited, so colour under transparent pixels survives;
//  - 16-bit colour: the high byte of each sample (Pillow reads 16-bit RGB(A) PNGs that way);
//  - 16-bit grey: clamped to 0..255, not scaled (Pillow opens it as mode I, whose RGB
//    conversion clips).
// Palette images arrive already expanded by the decoder. `source` names the file for errors.
RgbImage convert_to_rgb(const DecodedPixels& pixels, const std::string& source);

}  // namespace hc
