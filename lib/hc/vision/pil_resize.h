#pragma once
#include "hc/vision/resample_filter.h"
#include "hc/vision/rgb_image.h"

namespace hc {

// Pillow's Image.resize((width, height), filter) on an RGB image, bit for bit (Pillow 9.4,
// libImaging/Resample.c): antialiased separable resampling, horizontal pass first, the
// intermediate rounded to uint8, and a pass skipped when its axis keeps its size. OpenCV's
// INTER_CUBIC does not widen the kernel when downscaling, so it cannot stand in.
//
// `region` (in output coordinates, inside width x height) asks for part of the result only:
// every output pixel depends on its own row and column weights alone, so computing just the
// part a centre crop keeps gives the same bytes as resizing everything and cropping.
RgbImage resize_pil(const RgbImage& image, int width, int height, ResampleFilter filter,
                    const PixelRect& region);
RgbImage resize_pil(const RgbImage& image, int width, int height, ResampleFilter filter);

// The CLIP preprocessing resize: Pillow BICUBIC.
RgbImage resize_bicubic_pil(const RgbImage& image, int width, int height);

}  // namespace hc
