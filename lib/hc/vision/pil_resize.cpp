#include "hc/vision/pil_resize.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "hc/core/error.h"
#include "hc/vision/resample_coefficients.h"

namespace hc {
namespace {

constexpr int32_t kHalf = 1 << (kResamplePrecisionBits - 1);

inline uint8_t clip8(int32_t sum) {
  if (sum >= (1 << kResamplePrecisionBits << 8)) return 255;
  if (sum <= 0) return 0;
  return static_cast<uint8_t>(sum >> kResamplePrecisionBits);
}

// Rows [row_begin, row_end) of `source`, resampled along x into output columns
// [column_begin, column_end).
RgbImage resample_rows(const RgbImage& source, int row_begin, int row_end,
                       const AxisCoefficients& axis, int column_begin, int column_end) {
  RgbImage result(column_end - column_begin, row_end - row_begin);
  for (int y = row_begin; y < row_end; ++y) {
    const uint8_t* in = source.row(y);
    uint8_t* out = result.row(y - row_begin);
    for (int x = column_begin; x < column_end; ++x, out += 3) {
      const int32_t* weight = axis.weights_of(x);
      const uint8_t* sample = in + 3 * axis.first[x];
      int32_t r = kHalf, g = kHalf, b = kHalf;
      for (int t = 0; t < axis.count[x]; ++t, sample += 3) {
        r += sample[0] * weight[t];
        g += sample[1] * weight[t];
        b += sample[2] * weight[t];
      }
      out[0] = clip8(r);
      out[1] = clip8(g);
      out[2] = clip8(b);
    }
  }
  return result;
}

// Output rows [row_begin, row_end) resampled along y, over `width` columns of `source` from
// `source_left` on; `source` row 0 is input row `source_top`. Whole rows are accumulated at once
// so that the inner loop runs over contiguous bytes (and vectorises).
RgbImage resample_columns(const RgbImage& source, int source_top, int source_left, int width,
                          const AxisCoefficients& axis, int row_begin, int row_end) {
  RgbImage result(width, row_end - row_begin);
  const size_t row_bytes = result.row_bytes();
  std::vector<int32_t> sums(row_bytes);
  for (int y = row_begin; y < row_end; ++y) {
    std::fill(sums.begin(), sums.end(), kHalf);
    const int32_t* weight = axis.weights_of(y);
    for (int t = 0; t < axis.count[y]; ++t) {
      const uint8_t* in = source.row(axis.first[y] + t - source_top) + 3 * source_left;
      const int32_t w = weight[t];
      for (size_t j = 0; j < row_bytes; ++j) sums[j] += in[j] * w;
    }
    uint8_t* out = result.row(y - row_begin);
    for (size_t j = 0; j < row_bytes; ++j) out[j] = clip8(sums[j]);
  }
  return result;
}

RgbImage copy_region(const RgbImage& source, const PixelRect& region) {
  RgbImage result(region.width, region.height);
  for (int y = 0; y < region.height; ++y) {
    std::memcpy(result.row(y), source.row(region.top + y) + 3 * region.left, result.row_bytes());
  }
  return result;
}

void check_region(const RgbImage& image, int width, int height, const PixelRect& region) {
  if (image.width <= 0 || image.height <= 0 || width <= 0 || height <= 0 || region.left < 0 ||
      region.top < 0 || region.width <= 0 || region.height <= 0 ||
      region.left + region.width > width || region.top + region.height > height) {
    throw runtime_error(
        "resize: bad request, {}x{} -> {}x{} keeping {}x{} at ({}, {}): expected positive sizes "
        "and a region inside the output",
        image.width, image.height, width, height, region.width, region.height, region.left,
        region.top);
  }
}

}  // namespace

RgbImage resize_pil(const RgbImage& image, int width, int height, ResampleFilter filter,
                    const PixelRect& region) {
  check_region(image, width, height, region);
  const bool horizontal = width != image.width;
  const bool vertical = height != image.height;
  const int row_end = region.top + region.height;
  const int column_end = region.left + region.width;
  if (!horizontal && !vertical) return copy_region(image, region);

  auto rows = cached_axis_coefficients(image.height, height, filter);
  auto columns = cached_axis_coefficients(image.width, width, filter);
  if (!vertical) return resample_rows(image, region.top, row_end, *columns, region.left, column_end);

  if (!horizontal) {
    return resample_columns(image, 0, region.left, region.width, *rows, region.top, row_end);
  }
  // The horizontal pass covers only the input rows that the kept output rows read.
  int first = rows->first[region.top];
  int last = rows->first[row_end - 1] + rows->count[row_end - 1];
  RgbImage band = resample_rows(image, first, last, *columns, region.left, column_end);
  return resample_columns(band, first, 0, band.width, *rows, region.top, row_end);
}

RgbImage resize_pil(const RgbImage& image, int width, int height, ResampleFilter filter) {
  return resize_pil(image, width, height, filter, {0, 0, width, height});
}

RgbImage resize_bicubic_pil(const RgbImage& image, int width, int height) {
  return resize_pil(image, width, height, ResampleFilter::Bicubic);
}

}  // namespace hc
