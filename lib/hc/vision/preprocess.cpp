#include "hc/vision/preprocess.h"

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/vision/center_crop.h"
#include "hc/vision/decode_image.h"
#include "hc/vision/normalize.h"
#include "hc/vision/pil_resize.h"
#include "hc/vision/preprocess_plan.h"

namespace hc {

RgbImage resize_and_crop(const RgbImage& image, const PreprocessConfig& config) {
  const PreprocessPlan plan = plan_preprocess(image.width, image.height, config);
  const PixelRect visible = clip_to_image(plan.crop, plan.resized_width, plan.resized_height);
  // With the size unchanged resize_pil only copies the window, as Pillow skips both passes.
  RgbImage inside =
      resize_pil(image, plan.resized_width, plan.resized_height, config.resample, visible);
  if (visible.width == plan.crop.width && visible.height == plan.crop.height) return inside;
  return pad_to_window(inside, visible, plan.crop);
}

void preprocess_into(const RgbImage& image, const PreprocessConfig& config, float* out) {
  PixelNormalizer(config).to_chw(resize_and_crop(image, config), out);
}

std::vector<float> preprocess_batch(const std::vector<std::filesystem::path>& paths,
                                    const PreprocessConfig& config, ThreadPool& pool) {
  if (!config.has_fixed_output_size()) {
    throw usage_error(
        "preprocessing {}: images of different sizes cannot form one batch: expected a centre "
        "crop or an exact resize size",
        config.name);
  }
  const std::size_t image_floats =
      std::size_t{3} * config.output_height() * config.output_width();
  std::vector<float> batch(paths.size() * image_floats);
  const PixelNormalizer normalizer(config);
  pool.parallel_for(paths.size(), [&](std::size_t i) {
    normalizer.to_chw(resize_and_crop(decode_image(paths[i]), config),
                      batch.data() + i * image_floats);
  });
  return batch;
}

}  // namespace hc
