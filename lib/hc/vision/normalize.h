#pragma once
#include <array>
#include <cstdint>

#include "hc/vision/preprocess_config.h"
#include "hc/vision/rgb_image.h"

namespace hc {

// uint8 RGB -> the model's float input, channels first (CHW), with HF's arithmetic:
// rescale as float32(float64(v) * rescale_factor), then (x - mean) / std in float32. A uint8
// has 256 values, so each channel's result is tabulated once.
class PixelNormalizer {
 public:
  explicit PixelNormalizer(const PreprocessConfig& config);

  float value(int channel, uint8_t sample) const { return table_[channel][sample]; }

  // Writes 3 * height * width floats: plane R, then G, then B.
  void to_chw(const RgbImage& image, float* out) const;

 private:
  std::array<std::array<float, 256>, 3> table_;
};

}  // namespace hc
