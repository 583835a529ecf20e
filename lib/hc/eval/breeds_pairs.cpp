#include "hc/eval/breeds_pairs.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/Parallel.h>

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/geometry/exterior_angle_matrix.h"
#include "hc/geometry/genericness.h"
#include "hc/geometry/precision.h"

namespace hc {
namespace {

at::ScalarType compute_type(const at::Tensor& similarities) {
  return similarities.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
}

// Which histogram bin each (image, pair) entry falls in, [B, M] int64. Bins 0..G: the pair beats
// the ground truth on the prefix j < bin of the grid; bins G+1+s (s = 0..G): on the suffix j >= s.
at::Tensor interval_bins(const at::Tensor& gap_score, const at::Tensor& gap_angle,
                         const LambdaGrid& grid) {
  const double g = static_cast<double>(grid.count);
  // Beating at lambda_j: u - j v > 0 with u = gap_score - first * gap_angle, v = step * gap_angle.
  const at::Tensor u = grid.first == 0.0 ? gap_score : gap_score - grid.first * gap_angle;
  const at::Tensor v = gap_angle * grid.step;
  const at::Tensor q = u / v;  // where v == 0 this is +-inf or NaN: not selected below
  const at::Tensor prefix_end = at::ceil(q).clamp(0.0, g);               // v > 0: j < q
  const at::Tensor suffix_start = (at::floor(q) + 1.0).clamp(0.0, g);    // v < 0: j > q
  const at::Tensor flat = at::where(u > 0, at::full({}, g, u.options()), at::zeros({}, u.options()));
  at::Tensor bins = at::where(v > 0, prefix_end, at::where(v < 0, suffix_start + (g + 1.0), flat));
  return bins.to(at::kLong);
}

// [B, G] counts from the per-image histogram [B, 2G + 2].
at::Tensor counts_from_histogram(const at::Tensor& histogram, int64_t g) {
  const at::Tensor prefix = histogram.narrow(1, 0, g + 1);
  const at::Tensor suffix = histogram.narrow(1, g + 1, g + 1);
  // Prefix pairs with end e beat the truth at every j < e: at j, those with e > j.
  const at::Tensor prefix_total = prefix.sum(1, /*keepdim=*/true);
  const at::Tensor above_prefix = prefix_total - prefix.cumsum(1).narrow(1, 0, g);
  // Suffix pairs with start s beat it at every j >= s: at j, those with s <= j.
  const at::Tensor above_suffix = suffix.cumsum(1).narrow(1, 0, g);
  return above_prefix + above_suffix;
}

void check_inputs(const at::Tensor& similarities, const at::Tensor& truth_general,
                  const at::Tensor& truth_specific, const LabelPairs& pairs) {
  if (similarities.dim() != 2 || similarities.size(1) != pairs.labels) {
    throw runtime_error("pair scores: expected similarities [images, {}], got [{}]", pairs.labels,
                        fmt::join(similarities.sizes(), ", "));
  }
  const int64_t n = similarities.size(0);
  if (truth_general.dim() != 1 || truth_general.size(0) != n || truth_specific.dim() != 1 ||
      truth_specific.size(0) != n) {
    throw runtime_error("pair scores: expected one ground-truth pair per image ({})", n);
  }
  if (n > 0) {
    const int64_t low = std::min(truth_general.min().item<int64_t>(), truth_specific.min().item<int64_t>());
    const int64_t high = std::max(truth_general.max().item<int64_t>(), truth_specific.max().item<int64_t>());
    if (low < 0 || high >= pairs.labels) {
      throw runtime_error("pair scores: a ground-truth label index is outside 0..{}", pairs.labels - 1);
    }
  }
}


// The histogram bin of one (image, pair) entry, as interval_bins computes it.
template <typename T>
int64_t interval_bin(T gap_score, T gap_angle, T first, T step, int64_t g) {
  const T u = first == T(0) ? gap_score : gap_score - first * gap_angle;
  const T v = gap_angle * step;
  const T count = static_cast<T>(g);
  if (v > T(0)) return static_cast<int64_t>(std::min(std::max(std::ceil(u / v), T(0)), count));
  if (v < T(0)) {
    return g + 1 + static_cast<int64_t>(std::min(std::max(std::floor(u / v) + T(1), T(0)), count));
  }
  return u > T(0) ? g : 0;
}

// The Loop kernel: per image, one pass over the pairs into the histogram, then the counts.
template <typename T>
void above_truth_loop(const at::Tensor& s, const LabelPairs& pairs, const at::Tensor& truth_pair,
                      const at::Tensor& tx, const at::Tensor& ty, const LambdaGrid& grid,
                      at::Tensor& above) {
  const at::Tensor angle = pairs.angle.to(s.scalar_type()).contiguous();
  const int64_t n = s.size(0), l = s.size(1), m = pairs.size(), g = grid.count;
  const T* sim = s.data_ptr<T>();
  const T* ang = angle.data_ptr<T>();
  const int64_t* x = pairs.general.data_ptr<int64_t>();
  const int64_t* y = pairs.specific.data_ptr<int64_t>();
  const int64_t* truth = truth_pair.data_ptr<int64_t>();
  const int64_t* gx = tx.data_ptr<int64_t>();
  const int64_t* gy = ty.data_ptr<int64_t>();
  int64_t* out = above.data_ptr<int64_t>();
  const T first = static_cast<T>(grid.first), step = static_cast<T>(grid.step);
  // hc's pool, not at::parallel_for: that template's OpenMP loop is compiled into the caller,
  // and hc is built without -fopenmp, so it would run on one thread. The compute threads
  // setting (at::get_num_threads) sizes the pool; blocks of images keep the work balanced.
  const auto workers = static_cast<int64_t>(std::max(1, at::get_num_threads()));
  const int64_t block = std::max<int64_t>(1, (n + 8 * workers - 1) / (8 * workers));
  ThreadPool pool(static_cast<std::size_t>(workers));
  pool.parallel_for(static_cast<std::size_t>((n + block - 1) / block), [&](std::size_t b) {
    const int64_t begin = static_cast<int64_t>(b) * block;
    const int64_t end = std::min(n, begin + block);
    std::vector<int64_t> histogram(static_cast<std::size_t>(2 * g + 2));
    for (int64_t i = begin; i < end; ++i) {
      if (truth[i] < 0) continue;  // left at "never found"
      const T* row = sim + i * l;
      const T truth_score = row[gx[i]] + row[gy[i]];
      const T truth_angle = ang[truth[i]];
      std::fill(histogram.begin(), histogram.end(), 0);
      for (int64_t p = 0; p < m; ++p) {
        ++histogram[interval_bin<T>((row[x[p]] + row[y[p]]) - truth_score, ang[p] - truth_angle,
                                    first, step, g)];
      }
      int64_t prefix_total = 0;
      for (int64_t e = 0; e <= g; ++e) prefix_total += histogram[e];
      int64_t prefix_upto = 0, suffix_upto = 0;
      for (int64_t j = 0; j < g; ++j) {
        prefix_upto += histogram[j];
        suffix_upto += histogram[g + 1 + j];
        out[i * g + j] = (prefix_total - prefix_upto) + suffix_upto;
      }
    }
  });
}
}  // namespace

bool LabelPairs::admissible(int64_t x, int64_t y) const {
  return index[x][y].item<int64_t>() >= 0;
}

LabelPairs admissible_pairs(const at::Tensor& labels, const at::Tensor& root) {
  if (labels.dim() != 2 || root.dim() != 1 || root.size(0) != labels.size(1)) {
    throw runtime_error("label pairs: expected labels [L, D] and a root [D], got [{}] and [{}]",
                        fmt::join(labels.sizes(), ", "), fmt::join(root.sizes(), ", "));
  }
  const at::Tensor unit = normalize_embeddings(labels.to(at::kCPU, at::kDouble));
  const at::Tensor r = normalize_embeddings(root.to(at::kCPU, at::kDouble));
  const at::Tensor distance = genericness(unit, r);  // [L]
  const at::Tensor mask = distance.unsqueeze(1) < distance.unsqueeze(0);  // x nearer than y
  const at::Tensor xy = mask.nonzero();                                    // row-major order
  LabelPairs pairs;
  pairs.labels = labels.size(0);
  pairs.general = xy.select(1, 0).contiguous();
  pairs.specific = xy.select(1, 1).contiguous();
  pairs.angle = exterior_angle_matrix(unit, r).index({pairs.general, pairs.specific});
  pairs.index = at::full({pairs.labels, pairs.labels}, -1, at::kLong);
  pairs.index.index_put_({pairs.general, pairs.specific}, at::arange(pairs.size(), at::kLong));
  return pairs;
}

LambdaGrid LambdaGrid::linspace(double min, double max, int64_t count) {
  if (count < 1 || !(max >= min) || !std::isfinite(min) || !std::isfinite(max)) {
    throw usage_error("lambda grid: expected count >= 1 and min <= max, got {} values from {} to {}",
                      count, min, max);
  }
  if (count == 1) return single(min);
  return {min, (max - min) / static_cast<double>(count - 1), count};
}

std::vector<double> LambdaGrid::values() const {
  std::vector<double> values;
  for (int64_t j = 0; j < count; ++j) values.push_back(at(j));
  return values;
}

at::Tensor pairs_above_truth(const at::Tensor& similarities, const at::Tensor& truth_general,
                             const at::Tensor& truth_specific, const LabelPairs& pairs,
                             const LambdaGrid& grid, PairKernel kernel, int64_t batch_elements) {
  check_inputs(similarities, truth_general, truth_specific, pairs);
  const int64_t n = similarities.size(0), m = pairs.size(), g = grid.count;
  const at::Device device = similarities.device();
  const at::Tensor s = similarities.to(compute_type(similarities));
  const at::Tensor x = pairs.general.to(device), y = pairs.specific.to(device);
  const at::Tensor angle = pairs.angle.to(device, s.scalar_type());
  const at::Tensor tx = truth_general.to(device, at::kLong), ty = truth_specific.to(device, at::kLong);
  const at::Tensor truth_pair = pairs.index.to(device).index({tx, ty});  // [N], -1: not admissible
  const int64_t never = std::numeric_limits<int64_t>::max();
  at::Tensor above = at::full({n, g}, never, at::TensorOptions().dtype(at::kLong).device(device));
  if (kernel == PairKernel::Loop || (kernel == PairKernel::Auto && device.is_cpu())) {
    if (!device.is_cpu()) throw runtime_error("pair scores: the loop kernel runs on the CPU only");
    const at::Tensor rows = s.contiguous();
    if (m > 0) {
      if (rows.scalar_type() == at::kDouble) {
        above_truth_loop<double>(rows, pairs, truth_pair.contiguous(), tx.contiguous(), ty.contiguous(), grid, above);
      } else {
        above_truth_loop<float>(rows, pairs, truth_pair.contiguous(), tx.contiguous(), ty.contiguous(), grid, above);
      }
    }
    return above;
  }
  const int64_t rows = std::max<int64_t>(1, batch_elements / std::max<int64_t>(1, m));
  for (int64_t start = 0; start < n && m > 0; start += rows) {
    const int64_t b = std::min(rows, n - start);
    const at::Tensor batch = s.narrow(0, start, b);
    const at::Tensor bx = tx.narrow(0, start, b).unsqueeze(1), by = ty.narrow(0, start, b).unsqueeze(1);
    const at::Tensor index = truth_pair.narrow(0, start, b);
    // The ground truth's own score by the same operations as every pair's: exactly equal to it.
    const at::Tensor truth_score = batch.gather(1, bx) + batch.gather(1, by);         // [B, 1]
    const at::Tensor truth_angle = angle.index_select(0, index.clamp_min(0)).unsqueeze(1);
    at::Tensor gap_score = batch.index_select(1, x) + batch.index_select(1, y);       // [B, M]
    gap_score.sub_(truth_score);
    const at::Tensor gap_angle = angle.unsqueeze(0) - truth_angle;                     // [B, M]
    const at::Tensor bins = interval_bins(gap_score, gap_angle, grid);
    at::Tensor histogram = at::zeros({b, 2 * g + 2}, bins.options());
    histogram.scatter_add_(1, bins, at::ones({1, 1}, bins.options()).expand_as(bins));
    const at::Tensor counts = counts_from_histogram(histogram, g);
    const at::Tensor admissible = (index >= 0).unsqueeze(1);
    above.narrow(0, start, b).copy_(at::where(admissible, counts, at::full({}, never, counts.options())));
  }
  return above.cpu();
}

at::Tensor top_pairs(const at::Tensor& similarities, const LabelPairs& pairs,
                     const std::vector<double>& lambdas, int64_t k, int64_t batch_elements) {
  const int64_t n = similarities.size(0), m = pairs.size();
  if (static_cast<int64_t>(lambdas.size()) != n) {
    throw runtime_error("top pairs: {} lambdas for {} images", lambdas.size(), n);
  }
  k = std::min(k, m);
  const at::Device device = similarities.device();
  const at::Tensor s = similarities.to(compute_type(similarities));
  const at::Tensor x = pairs.general.to(device), y = pairs.specific.to(device);
  const at::Tensor angle = pairs.angle.to(device, s.scalar_type());
  const at::Tensor lambda = at::tensor(lambdas, at::kDouble).to(device, s.scalar_type());
  at::Tensor best = at::empty({n, k}, at::TensorOptions().dtype(at::kLong).device(device));
  const int64_t rows = std::max<int64_t>(1, batch_elements / std::max<int64_t>(1, m));
  for (int64_t start = 0; start < n && k > 0; start += rows) {
    const int64_t b = std::min(rows, n - start);
    const at::Tensor batch = s.narrow(0, start, b);
    const at::Tensor score = batch.index_select(1, x) + batch.index_select(1, y) -
                             lambda.narrow(0, start, b).unsqueeze(1) * angle.unsqueeze(0);
    best.narrow(0, start, b).copy_(std::get<1>(score.topk(k, 1)));
  }
  return best.cpu();
}

}  // namespace hc
