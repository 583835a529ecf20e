#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "hc/vision/resample_filter.h"

namespace hc {

// Pillow keeps resampling weights in fixed point with this many fraction bits (8-bit images).
constexpr int kResamplePrecisionBits = 22;

// The weights of one axis of Pillow's separable resampling (libImaging/Resample.c,
// precompute_coeffs + normalize_coeffs_8bpc): output i reads `count[i]` input samples from
// `first[i]` on, weighted by weights[i * taps ...]. Depends only on the sizes and the filter,
// so it is computed once per (in, out) pair, not per image.
struct AxisCoefficients {
  int in_size = 0;
  int out_size = 0;
  int taps = 0;  // stride of `weights`: the most samples any output reads
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;  // out_size * taps, zero past count[i]

  const int32_t* weights_of(int i) const { return weights.data() + static_cast<size_t>(i) * taps; }
};

AxisCoefficients compute_axis_coefficients(int in_size, int out_size, ResampleFilter filter);

// compute_axis_coefficients through a small per-thread cache: a batch of same-sized images
// (every HierarCaps image is 256x256) computes its weights once per worker.
std::shared_ptr<const AxisCoefficients> cached_axis_coefficients(int in_size, int out_size,
                                                                 ResampleFilter filter);

}  // namespace hc
