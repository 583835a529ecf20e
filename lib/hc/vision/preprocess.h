#pragma once
#include <filesystem>
#include <vector>

#include "hc/vision/preprocess_config.h"
#include "hc/vision/rgb_image.h"

namespace hc {

class ThreadPool;

// The uint8 pixels the model input is made of: resized and centre-cropped per `config`
// (only the kept window is resampled; the bytes equal resizing everything, then cropping).
RgbImage resize_and_crop(const RgbImage& image, const PreprocessConfig& config);

// One image as the model's input: 3 x H x W floats, channels first, written to `out`. H and W
// are config.output_height()/output_width(), or the plan's crop size when those are 0.
void preprocess_into(const RgbImage& image, const PreprocessConfig& config, float* out);

// Decodes and preprocesses the files on the pool, returning [N, 3, H, W] in argument order.
// Needs a fixed output size (a crop or a squash); the first failing file's hc::Error is thrown.
std::vector<float> preprocess_batch(const std::vector<std::filesystem::path>& paths,
                                    const PreprocessConfig& config, ThreadPool& pool);

}  // namespace hc
