#include <catch2/catch.hpp>

#include <random>

#include "hc/core/error.h"
#include "hc/vision/center_crop.h"
#include "hc/vision/pil_resize.h"
#include "hc/vision/resample_coefficients.h"

namespace {

hc::RgbImage random_image(int width, int height, unsigned seed) {
  std::mt19937 random(seed);
  hc::RgbImage image(width, height);
  for (auto& v : image.pixels) v = static_cast<uint8_t>(random() & 0xFF);
  return image;
}

hc::RgbImage cut(const hc::RgbImage& image, const hc::PixelRect& r) {
  hc::RgbImage out(r.width, r.height);
  for (int y = 0; y < r.height; ++y) {
    std::copy_n(image.row(r.top + y) + 3 * r.left, out.row_bytes(), out.row(y));
  }
  return out;
}

}  // namespace

TEST_CASE("coefficients widen with the downscale factor and sum to one in fixed point") {
  const hc::AxisCoefficients down = hc::compute_axis_coefficients(256, 224, hc::ResampleFilter::Bicubic);
  CHECK(down.taps == 7);  // ceil(2 * 256/224) * 2 + 1
  const hc::AxisCoefficients up = hc::compute_axis_coefficients(30, 224, hc::ResampleFilter::Bicubic);
  CHECK(up.taps == 5);
  for (const auto* axis : {&down, &up}) {
    for (int i = 0; i < axis->out_size; ++i) {
      int64_t sum = 0;
      for (int t = 0; t < axis->count[i]; ++t) sum += axis->weights_of(i)[t];
      CHECK(std::abs(sum - (int64_t{1} << hc::kResamplePrecisionBits)) <= axis->count[i]);
      CHECK(axis->first[i] >= 0);
      CHECK(axis->first[i] + axis->count[i] <= axis->in_size);
    }
  }
}

TEST_CASE("bilinear matches a hand-computed Pillow downscale") {
  // 4 -> 2: weights (0.75, 0.75, 0.25) / 1.75 around centres 1 and 3, in 22-bit fixed point.
  hc::RgbImage image(4, 1);
  image.pixels = {0, 0, 0, 70, 70, 70, 140, 140, 140, 210, 210, 210};
  const hc::RgbImage out = hc::resize_pil(image, 2, 1, hc::ResampleFilter::Bilinear);
  CHECK(out.pixels == std::vector<uint8_t>{50, 50, 50, 160, 160, 160});
}

TEST_CASE("resizing only a region gives the bytes of resizing everything, then cutting") {
  struct Case { int in_w, in_h, out_w, out_h; };
  const Case cases[] = {{256, 256, 224, 224}, {50, 30, 373, 224}, {401, 300, 299, 224},
                        {240, 321, 224, 299}, {64, 48, 64, 20}, {40, 48, 90, 48}};
  unsigned seed = 1;
  for (auto filter : {hc::ResampleFilter::Bicubic, hc::ResampleFilter::Bilinear}) {
    for (const Case& c : cases) {
      const hc::RgbImage image = random_image(c.in_w, c.in_h, seed++);
      const hc::RgbImage full = hc::resize_pil(image, c.out_w, c.out_h, filter);
      REQUIRE(full.width == c.out_w);
      REQUIRE(full.height == c.out_h);
      const hc::PixelRect centre = hc::center_crop_window(c.out_w, c.out_h, 20, 16);
      const hc::PixelRect corner{c.out_w - 7, 0, 7, 5};
      for (const hc::PixelRect& region : {centre, corner}) {
        CHECK(hc::resize_pil(image, c.out_w, c.out_h, filter, region).pixels ==
              cut(full, region).pixels);
      }
    }
  }
}

TEST_CASE("an unchanged size copies the image; bad sizes are errors") {
  const hc::RgbImage image = random_image(9, 7, 42);
  CHECK(hc::resize_bicubic_pil(image, 9, 7).pixels == image.pixels);
  CHECK_THROWS_AS(hc::resize_bicubic_pil(image, 0, 7), hc::Error);
  CHECK_THROWS_AS(hc::resize_pil(image, 9, 7, hc::ResampleFilter::Bicubic, {5, 0, 5, 7}),
                  hc::Error);
}
