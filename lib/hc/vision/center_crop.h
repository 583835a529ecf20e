#pragma once
#include "hc/vision/rgb_image.h"

namespace hc {

// Hugging Face's center_crop window: top = floor((height - crop_height) / 2), left likewise.
// (torchvision's CenterCrop rounds half to even instead, one pixel further right/down when the
// excess is 3 mod 4.) A crop larger than the image gives a window reaching outside it, with
// negative left/top: HF pads the outside with zeros.
PixelRect center_crop_window(int width, int height, int crop_width, int crop_height);

// The part of `window` that lies inside a width x height image.
PixelRect clip_to_image(const PixelRect& window, int width, int height);

// The window's pixels given those of its visible part (`inside`, covering `visible`): zeros
// elsewhere, as HF's padding.
RgbImage pad_to_window(const RgbImage& inside, const PixelRect& visible, const PixelRect& window);

// center_crop_window applied to an image, padding included.
RgbImage center_crop(const RgbImage& image, int crop_width, int crop_height);

}  // namespace hc
