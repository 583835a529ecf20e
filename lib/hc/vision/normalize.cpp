#include "hc/vision/normalize.h"

#include <cstddef>

namespace hc {

PixelNormalizer::PixelNormalizer(const PreprocessConfig& config) {
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      // float64 product rounded once to float32, as numpy's astype(float64) * scale, astype(float32).
      float x = config.do_rescale ? static_cast<float>(static_cast<double>(v) * config.rescale_factor)
                                  : static_cast<float>(v);
      if (config.do_normalize) x = (x - config.image_mean[c]) / config.image_std[c];
      table_[c][v] = x;
    }
  }
}

void PixelNormalizer::to_chw(const RgbImage& image, float* out) const {
  const std::size_t plane = static_cast<std::size_t>(image.width) * image.height;
  float* red = out;
  float* green = out + plane;
  float* blue = out + 2 * plane;
  const uint8_t* in = image.pixels.data();
  for (std::size_t i = 0; i < plane; ++i, in += 3) {
    red[i] = table_[0][in[0]];
    green[i] = table_[1][in[1]];
    blue[i] = table_[2][in[2]];
  }
}

}  // namespace hc
