#pragma once
#include "hc/vision/preprocess_config.h"
#include "hc/vision/rgb_image.h"

namespace hc {

// The geometry of preprocessing one image: the size it is resized to, and the window of that
// resized image which becomes the output (the centre crop, or all of it).
struct PreprocessPlan {
  int resized_width = 0;
  int resized_height = 0;
  PixelRect crop;  // in resized coordinates; may reach outside it (zero padding)
};

PreprocessPlan plan_preprocess(int width, int height, const PreprocessConfig& config);

// HF's get_resize_output_image_size (default_to_square=False) for one long side:
// int(edge * long / short), the quotient taken in double precision and truncated. For 285x190
// this is 336, where long * (edge / short) would give 335.
int shortest_edge_long_side(int short_side, int long_side, int edge);

}  // namespace hc
