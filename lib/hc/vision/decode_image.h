#pragma once
#include <filesystem>

#include "hc/vision/rgb_image.h"

namespace hc {

// Reads an image file into RGB exactly as Pillow's `Image.open(path).convert("RGB")` (the
// reference pipeline, Pillow 9.4): EXIF orientation is NOT applied, palettes are expanded,
// alpha is dropped (see convert_to_rgb.h). Decoding is OpenCV's (libjpeg-turbo, libpng), which
// gives byte-identical pixels for the shared fixtures. Throws hc::Error naming the file for a
// missing, unreadable, empty, truncated or undecodable file.
RgbImage decode_image(const std::filesystem::path& path);

}  // namespace hc
