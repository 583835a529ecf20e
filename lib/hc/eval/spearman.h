#pragma once
// Spearman's rank correlation exactly as scipy.stats.spearmanr(a, b) computes it: the Pearson
// correlation of the two samples' average ranks (ties share the mean of the ranks they span,
// scipy.stats.rankdata's "average" method), and the two-sided p-value of the t statistic
// t = rho * sqrt((n - 2) / ((1 + rho) (1 - rho))) with n - 2 degrees of freedom.
//
// The textbook shortcut 1 - 6 sum d^2 / (n (n^2 - 1)) is only right without ties; HyperLex's
// gold scores and any quantised prediction have ties, so it is not used. Torch-free.
#include <cstddef>
#include <vector>

namespace hc {

struct SpearmanResult {
  double rho = 0.0;      // NaN when undefined (fewer than 2 values, a constant sample, a NaN)
  double p_value = 0.0;  // NaN when rho is, or when n < 3
  std::size_t n = 0;
};

// 1-based ranks of values, ties given the mean of the positions they occupy (rankdata's
// "average"). NaN values are an hc::Error: they have no rank (scipy would propagate NaN).
std::vector<double> average_ranks(const std::vector<double>& values);

// Pearson's r of two equally long samples: centred sums of products, divided by each norm in
// turn as numpy.corrcoef does, clipped to [-1, 1]. NaN for n < 2 or a constant sample.
double pearson_correlation(const std::vector<double>& a, const std::vector<double>& b);

// scipy.stats.spearmanr(a, b). Samples of different lengths are an hc::Error; a NaN in either
// sample gives rho = NaN (scipy's default nan_policy "propagate").
SpearmanResult spearman(const std::vector<double>& a, const std::vector<double>& b);

// P(|T| >= |t|) for Student's t with df degrees of freedom (scipy.stats.t.sf(|t|, df) * 2),
// through the regularised incomplete beta function. 0 for infinite t, NaN for df <= 0 or NaN t.
double student_t_two_sided_p(double t, double df);

// The regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1 (continued
// fraction, Lentz's method), accurate to ~1e-14 relative. one_minus_x is 1 - x computed by the
// caller without cancellation where it can be.
double regularized_incomplete_beta(double a, double b, double x, double one_minus_x);

}  // namespace hc
