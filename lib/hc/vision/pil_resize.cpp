#include "hc/vision/pil_resize.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "hc/core/error.h"
#include "hc/vision/resample_coefficients.h"

// The inner loop is compiled twice, for AVX2 and for the baseline, and picked at load time:
// the build targets generic x86-64, whose SSE2 lacks a 32-bit vector multiply.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define HC_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HC_VECTOR_CLONES
#endif

namespace hc {
namespace {

constexpr int32_t kHalf = 1 << (kResamplePrecisionBits - 1);

// One output line: out[j] = clip8(half + sum_t lines[t][j] * weights[t]), Pillow's rounding and
// clamp (clip8 in Resample.c) written branch-free so that it vectorises.
HC_VECTOR_CLONES void weighted_line_sum(const uint8_t* const* lines, const int32_t* weights,
                                        int taps, std::size_t n, int32_t* sums, uint8_t* out) {
  for (std::size_t j = 0; j < n; ++j) sums[j] = kHalf;
  for (int t = 0; t < taps; ++t) {
    const uint8_t* in = lines[t];
    const int32_t w = weights[t];
    for (std::size_t j = 0; j < n; ++j) sums[j] += in[j] * w;
  }
  for (std::size_t j = 0; j < n; ++j) {
    out[j] = static_cast<uint8_t>(std::clamp(sums[j] >> kResamplePrecisionBits, 0, 255));
  }
}

// Gives `image` the size width x height, reusing its buffer (contents unspecified).
void reshape(RgbImage& image, int width, int height) {
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<std::size_t>(width) * height * 3);
}

// Intermediate images live in per-thread buffers reused from image to image: fresh ~200 KB
// allocations each time cost more in page faults than the arithmetic does.
RgbImage& scratch(int slot) {
  thread_local RgbImage buffers[3];
  return buffers[slot];
}

// Resamples along the rows of `source` into `out`: output rows [out_begin, out_end) of `axis`,
// over `width` pixels from column `left`; `source` row 0 is the axis's input `source_first`.
void resample_along_rows(const RgbImage& source, int source_first, int left, int width,
                         const AxisCoefficients& axis, int out_begin, int out_end, RgbImage& out) {
  reshape(out, width, out_end - out_begin);
  const std::size_t n = out.row_bytes();
  thread_local std::vector<int32_t> sums;
  thread_local std::vector<const uint8_t*> lines;
  sums.resize(n);
  lines.resize(axis.taps);
  for (int y = out_begin; y < out_end; ++y) {
    for (int t = 0; t < axis.count[y]; ++t) {
      lines[t] = source.row(axis.first[y] + t - source_first) + 3 * left;
    }
    weighted_line_sum(lines.data(), axis.weights_of(y), axis.count[y], n, sums.data(),
                      out.row(y - out_begin));
  }
}

// Rows [row_begin, row_end) of `image` with rows and columns swapped, into `out`. Resampling
// along x is done as resampling along the rows of the transposed image: the same sums, but over
// contiguous bytes, which vectorise.
void transpose(const RgbImage& image, int row_begin, int row_end, RgbImage& out) {
  constexpr int kTile = 32;  // keeps both sides of a tile in L1
  reshape(out, row_end - row_begin, image.width);
  for (int y0 = row_begin; y0 < row_end; y0 += kTile) {
    const int y1 = std::min(y0 + kTile, row_end);
    for (int x0 = 0; x0 < image.width; x0 += kTile) {
      const int x1 = std::min(x0 + kTile, image.width);
      for (int y = y0; y < y1; ++y) {
        const uint8_t* in = image.row(y) + 3 * x0;
        for (int x = x0; x < x1; ++x, in += 3) {
          uint8_t* to = out.row(x) + 3 * (y - row_begin);
          to[0] = in[0];
          to[1] = in[1];
          to[2] = in[2];
        }
      }
    }
  }
}

// Pillow's horizontal pass over input rows [row_begin, row_end), keeping output columns
// [column_begin, column_end), into `out`: uint8 results, as Pillow rounds between the passes.
void resample_horizontally(const RgbImage& image, int row_begin, int row_end,
                           const AxisCoefficients& axis, int column_begin, int column_end,
                           RgbImage& out) {
  RgbImage& columns = scratch(0);
  RgbImage& resampled = scratch(1);
  transpose(image, row_begin, row_end, columns);
  resample_along_rows(columns, 0, 0, columns.width, axis, column_begin, column_end, resampled);
  transpose(resampled, 0, resampled.height, out);
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
  RgbImage result;
  if (!vertical) {
    resample_horizontally(image, region.top, row_end, *columns, region.left, column_end, result);
  } else if (!horizontal) {
    resample_along_rows(image, 0, region.left, region.width, *rows, region.top, row_end, result);
  } else {
    // The horizontal pass covers only the input rows that the kept output rows read.
    const int first = rows->first[region.top];
    const int last = rows->first[row_end - 1] + rows->count[row_end - 1];
    RgbImage& band = scratch(2);
    resample_horizontally(image, first, last, *columns, region.left, column_end, band);
    resample_along_rows(band, first, 0, band.width, *rows, region.top, row_end, result);
  }
  return result;
}

RgbImage resize_pil(const RgbImage& image, int width, int height, ResampleFilter filter) {
  return resize_pil(image, width, height, filter, {0, 0, width, height});
}

RgbImage resize_bicubic_pil(const RgbImage& image, int width, int height) {
  return resize_pil(image, width, height, ResampleFilter::Bicubic);
}

}  // namespace hc
