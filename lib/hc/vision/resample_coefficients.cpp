#include "hc/vision/resample_coefficients.h"

#include <cmath>
#include <map>
#include <tuple>

namespace hc {
namespace {

int32_t to_fixed_point(double weight) {
  // Pillow rounds half away from zero by adding +-0.5 before truncating.
  double scaled = weight * (1 << kResamplePrecisionBits);
  return static_cast<int32_t>(weight < 0 ? scaled - 0.5 : scaled + 0.5);
}

}  // namespace

AxisCoefficients compute_axis_coefficients(int in_size, int out_size, ResampleFilter filter) {
  AxisCoefficients result;
  result.in_size = in_size;
  result.out_size = out_size;
  // The operation order below follows precompute_coeffs so that every double is the same.
  double scale = static_cast<double>(in_size) / out_size;
  double filter_scale = scale < 1.0 ? 1.0 : scale;
  double support = filter_support(filter) * filter_scale;
  result.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  result.first.resize(out_size);
  result.count.resize(out_size);
  result.weights.assign(static_cast<size_t>(out_size) * result.taps, 0);

  std::vector<double> kernel(result.taps);
  for (int i = 0; i < out_size; ++i) {
    double center = (i + 0.5) * scale;
    double inverse_scale = 1.0 / filter_scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    int count = xmax - xmin;
    double total = 0.0;
    for (int x = 0; x < count; ++x) {
      kernel[x] = filter_weight(filter, (x + xmin - center + 0.5) * inverse_scale);
      total += kernel[x];
    }
    int32_t* weights = result.weights.data() + static_cast<size_t>(i) * result.taps;
    for (int x = 0; x < count; ++x) {
      weights[x] = to_fixed_point(total != 0.0 ? kernel[x] / total : kernel[x]);
    }
    result.first[i] = xmin;
    result.count[i] = count;
  }
  return result;
}

std::shared_ptr<const AxisCoefficients> cached_axis_coefficients(int in_size, int out_size,
                                                                 ResampleFilter filter) {
  using Key = std::tuple<int, int, ResampleFilter>;
  // Bounded so that a folder of all-different sizes cannot grow it without limit.
  constexpr size_t kMaxEntries = 64;
  thread_local std::map<Key, std::shared_ptr<const AxisCoefficients>> cache;
  Key key{in_size, out_size, filter};
  auto found = cache.find(key);
  if (found != cache.end()) return found->second;
  if (cache.size() >= kMaxEntries) cache.clear();
  auto made = std::make_shared<const AxisCoefficients>(
      compute_axis_coefficients(in_size, out_size, filter));
  cache.emplace(key, made);
  return made;
}

}  // namespace hc
