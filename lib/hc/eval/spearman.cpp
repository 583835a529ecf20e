#include "hc/eval/spearman.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "hc/core/error.h"
#include "hc/eval/numpy_mean.h"

namespace hc {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool has_nan(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); });
}

// The continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz).
double incomplete_beta_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 100000;
  constexpr double kEpsilon = 1e-16;
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < kEpsilon) return h;
  }
  throw runtime_error("incomplete beta function: no convergence for a={}, b={}, x={}", a, b, x);
}

}  // namespace

std::vector<double> average_ranks(const std::vector<double>& values) {
  if (has_nan(values)) throw runtime_error("average_ranks: NaN values have no rank");
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin + 1;
    while (end < order.size() && values[order[end]] == values[order[begin]]) ++end;
    // Positions begin+1 .. end (1-based) share their mean; exact in double for any real n.
    const double rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2.0;
    for (std::size_t k = begin; k < end; ++k) ranks[order[k]] = rank;
    begin = end;
  }
  return ranks;
}

double pearson_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw runtime_error("pearson_correlation: samples of {} and {} values", a.size(), b.size());
  }
  if (a.size() < 2 || has_nan(a) || has_nan(b)) return kNaN;
  const double mean_a = numpy_mean(a);
  const double mean_b = numpy_mean(b);
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double da = a[i] - mean_a;
    const double db = b[i] - mean_b;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa == 0.0 || sbb == 0.0) return kNaN;
  // numpy.corrcoef divides the covariance by each standard deviation in turn.
  const double r = sab / std::sqrt(saa) / std::sqrt(sbb);
  return std::clamp(r, -1.0, 1.0);
}

double regularized_incomplete_beta(double a, double b, double x, double one_minus_x) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(x <= 1.0)) return kNaN;
  if (x == 0.0) return 0.0;
  if (one_minus_x == 0.0) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                           a * std::log(x) + b * std::log(one_minus_x);
  const double front = std::exp(log_front);
  // The fraction converges fast below the mode-like point; above it use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x < (a + 1.0) / (a + b + 2.0)) return front * incomplete_beta_fraction(a, b, x) / a;
  return 1.0 - front * incomplete_beta_fraction(b, a, one_minus_x) / b;
}

double student_t_two_sided_p(double t, double df) {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  if (std::isinf(t)) return 0.0;
  const double t2 = t * t;
  // P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  return regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
}

SpearmanResult spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw runtime_error("spearman: samples of {} and {} values", a.size(), b.size());
  }
  SpearmanResult result;
  result.n = a.size();
  if (a.size() < 2 || has_nan(a) || has_nan(b)) {
    result.rho = result.p_value = kNaN;
    return result;
  }
  result.rho = pearson_correlation(average_ranks(a), average_ranks(b));
  if (std::isnan(result.rho) || result.n < 3) {
    result.p_value = kNaN;
    return result;
  }
  const double df = static_cast<double>(result.n) - 2.0;
  const double rho = result.rho;
  const double denominator = (rho + 1.0) * (1.0 - rho);
  const double t = denominator == 0.0 ? std::numeric_limits<double>::infinity()
                                      : rho * std::sqrt(std::max(df / denominator, 0.0));
  result.p_value = student_t_two_sided_p(t, df);
  return result;
}

}  // namespace hc
