#include "hc/vision/preprocess_plan.h"

#include <cstdint>

#include "hc/vision/center_crop.h"

namespace hc {

int shortest_edge_long_side(int short_side, int long_side, int edge) {
  const double quotient =
      static_cast<double>(static_cast<int64_t>(edge) * long_side) / static_cast<double>(short_side);
  return static_cast<int>(quotient);
}

PreprocessPlan plan_preprocess(int width, int height, const PreprocessConfig& config) {
  PreprocessPlan plan;
  plan.resized_width = width;
  plan.resized_height = height;
  if (config.do_resize) {
    if (config.resize_rule == PreprocessConfig::ResizeRule::Exact) {
      plan.resized_width = config.resize_width;
      plan.resized_height = config.resize_height;
    } else if (width <= height) {  // ties count as portrait, as in HF
      plan.resized_width = config.shortest_edge;
      plan.resized_height = shortest_edge_long_side(width, height, config.shortest_edge);
    } else {
      plan.resized_height = config.shortest_edge;
      plan.resized_width = shortest_edge_long_side(height, width, config.shortest_edge);
    }
  }
  plan.crop = config.do_center_crop
                  ? center_crop_window(plan.resized_width, plan.resized_height, config.crop_width,
                                       config.crop_height)
                  : PixelRect{0, 0, plan.resized_width, plan.resized_height};
  return plan;
}

}  // namespace hc
