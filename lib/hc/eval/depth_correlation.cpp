#include "hc/eval/depth_correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "hc/core/error.h"
#include "hc/eval/numpy_mean.h"

namespace hc {

double radius_order_tau(const double* radii, std::size_t count) {
  if (count < 2) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  // torch's order: NaN after every number.
  std::stable_sort(order.begin(), order.end(), [radii](std::size_t a, std::size_t b) {
    return (!std::isnan(radii[a]) && std::isnan(radii[b])) || radii[a] < radii[b];
  });
  // Pairs (i < j) of the argsort against 1..n: concordant when order[i] < order[j].
  long long concordant_minus_discordant = 0;
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t j = i + 1; j < count; ++j) {
      concordant_minus_discordant += order[i] < order[j] ? 1 : -1;
    }
  }
  const double pairs = static_cast<double>(count * (count - 1) / 2);
  double tau = static_cast<double>(concordant_minus_discordant) / std::sqrt(pairs) / std::sqrt(pairs);
  return std::clamp(tau, -1.0, 1.0);
}

DepthCorrelation depth_correlation(const std::vector<std::array<double, 4>>& radii) {
  if (radii.empty()) throw runtime_error("d_corr: no rows");
  DepthCorrelation result;
  result.per_row.reserve(radii.size());
  for (const auto& row : radii) result.per_row.push_back(radius_order_tau(row));
  result.mean = numpy_mean(result.per_row);
  return result;
}

}  // namespace hc
