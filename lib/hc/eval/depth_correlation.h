#pragma once
// d_corr (the paper's tau_d): how well the radii of a hierarchy's texts follow its order from
// general to specific. Per row, the official code computes
//   scipy.stats.kendalltau(R_row.argsort(), [1, 2, 3, 4]).correlation
// with torch's CPU argsort, which keeps equal radii in tier order (stable). The argsort is a
// permutation, so scipy's tau-b has no ties to correct for and equals (concordant -
// discordant) / (n (n - 1) / 2); it is computed here with scipy's own rounding,
// (C - D) / sqrt(P) / sqrt(P), so that per-row values match the reference to the last bit
// (4/6 comes out as 0.6666666666666669). d_corr is the mean over rows, summed as np.mean does.
#include <array>
#include <cstddef>
#include <vector>

namespace hc {

// The reference's tau for one row of `count` radii (tier order); NaN for count < 2, as scipy.
double radius_order_tau(const double* radii, std::size_t count);
inline double radius_order_tau(const std::array<double, 4>& radii) {
  return radius_order_tau(radii.data(), radii.size());
}

struct DepthCorrelation {
  double mean = 0.0;             // d_corr
  std::vector<double> per_row;   // tau per row, in the order given
};

// An empty list is an hc::Error (the mean of nothing).
DepthCorrelation depth_correlation(const std::vector<std::array<double, 4>>& radii);

}  // namespace hc
