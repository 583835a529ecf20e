#include "hc/vision/center_crop.h"

#include <algorithm>
#include <cstring>

namespace hc {
namespace {

// Python's `//`: rounds toward negative infinity, which matters when the crop is larger.
int floor_half(int value) { return value >= 0 ? value / 2 : -((-value + 1) / 2); }

}  // namespace

PixelRect center_crop_window(int width, int height, int crop_width, int crop_height) {
  return {floor_half(width - crop_width), floor_half(height - crop_height), crop_width,
          crop_height};
}

PixelRect clip_to_image(const PixelRect& window, int width, int height) {
  const int left = std::max(window.left, 0);
  const int top = std::max(window.top, 0);
  const int right = std::min(window.left + window.width, width);
  const int bottom = std::min(window.top + window.height, height);
  return {left, top, std::max(right - left, 0), std::max(bottom - top, 0)};
}

RgbImage pad_to_window(const RgbImage& inside, const PixelRect& visible, const PixelRect& window) {
  RgbImage result(window.width, window.height);  // zero-filled
  const int dx = visible.left - window.left;
  const int dy = visible.top - window.top;
  for (int y = 0; y < inside.height; ++y) {
    std::memcpy(result.row(y + dy) + 3 * dx, inside.row(y), inside.row_bytes());
  }
  return result;
}

RgbImage center_crop(const RgbImage& image, int crop_width, int crop_height) {
  const PixelRect window = center_crop_window(image.width, image.height, crop_width, crop_height);
  const PixelRect visible = clip_to_image(window, image.width, image.height);
  RgbImage inside(visible.width, visible.height);
  for (int y = 0; y < visible.height; ++y) {
    std::memcpy(inside.row(y), image.row(visible.top + y) + 3 * visible.left, inside.row_bytes());
  }
  return pad_to_window(inside, visible, window);
}

}  // namespace hc
