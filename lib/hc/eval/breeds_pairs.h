#pragma once
// Ordered label pairs scored with the Radial Embedding geometry (METHOD.md section 5, BREEDS):
// for an image with similarities s(.) to every label, every ordered pair of distinct labels
// (x, y) with x closer to the root than y (||x - r|| < ||y - r||, "admissible") scores
//
//   score(x, y) = s(x) + s(y) - lambda * Xi(x, y)
//
// and the top-k pairs are the prediction: the ground-truth pair (coarse, fine) is found at k
// when fewer than k pairs score strictly higher (ties go to the ground truth). A ground-truth
// pair that is not admissible (its coarse label lies further from the root than its fine one)
// is never found.
//
// All lambdas of an equally spaced grid are evaluated in one pass: for a pair p and an image,
// beating the ground truth g at lambda_j = first + j * step means
//   (a_p - a_g) - lambda_j (b_p - b_g) > 0     (a = s(x) + s(y), b = Xi(x, y)),
// which is linear in j, so it holds on a prefix or a suffix of the grid: each pair adds one
// entry to a per-image histogram of where its interval ends, and cumulative sums turn the
// histogram into the number of pairs above the ground truth at every lambda: one pass over the
// pairs for all lambdas instead of one pass per lambda.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace hc {

// The admissible pairs of a label set.
struct LabelPairs {
  int64_t labels = 0;
  at::Tensor general;   // [M] int64: x, the label nearer the root
  at::Tensor specific;  // [M] int64: y
  at::Tensor angle;     // [M] float64: Xi(x, y)
  at::Tensor index;     // [L, L] int64: the pair (x, y)'s position in the lists, or -1

  int64_t size() const { return general.defined() ? general.size(0) : 0; }
  // Whether (x, y) is admissible.
  bool admissible(int64_t x, int64_t y) const;
};

// labels [L, D], root [D] (any device and float dtype; normalised here, in float64, like the
// geometry module's other scores). Pairs in row-major (x, y) order. Labels at the same distance
// from the root form no pair either way.
LabelPairs admissible_pairs(const at::Tensor& labels, const at::Tensor& root);

// count values from first in steps of step (step 0 with count 1: one lambda).
struct LambdaGrid {
  double first = 0.0;
  double step = 0.0;
  int64_t count = 1;

  // count equally spaced values from min to max inclusive (numpy.linspace); count >= 1,
  // max >= min (a usage hc::Error otherwise).
  static LambdaGrid linspace(double min, double max, int64_t count);
  static LambdaGrid single(double lambda) { return {lambda, 0.0, 1}; }
  double at(int64_t j) const { return first + static_cast<double>(j) * step; }
  std::vector<double> values() const;
};

// How pairs_above_truth runs: Auto = Loop on the CPU, Tensor elsewhere. Tensor: the operations
// above on [images in a batch, pairs] tensors (any device). Loop: the same arithmetic fused into
// one pass per image over the pair list, images in parallel on hc's thread pool: no [B, M]
// temporaries, ~9x faster on a 2-core CPU (entity30: 1.5 s). Both give the same counts up to
// exact ties in the computation type.
enum class PairKernel { Auto, Tensor, Loop };

// For each image and each lambda of the grid, the number of admissible pairs scoring strictly
// above the image's ground-truth pair (truth_general[i], truth_specific[i]); INT64_MAX (never
// found) for an image whose ground-truth pair is not admissible. similarities [N, L] on any device, float32 or
// float64 (the computation's type; half types are computed in float32). Works in batches of
// about batch_elements image-pair entries. Returns [N, grid.count] int64 on the CPU.
at::Tensor pairs_above_truth(const at::Tensor& similarities, const at::Tensor& truth_general,
                             const at::Tensor& truth_specific, const LabelPairs& pairs,
                             const LambdaGrid& grid, PairKernel kernel = PairKernel::Auto,
                             int64_t batch_elements = int64_t{1} << 21);

// The k best admissible pairs (positions in `pairs`, best first) of each image at one lambda:
// [N, min(k, M)] int64 on the CPU. lambdas: one value per image ([N], float64 on the CPU).
at::Tensor top_pairs(const at::Tensor& similarities, const LabelPairs& pairs,
                     const std::vector<double>& lambdas, int64_t k,
                     int64_t batch_elements = int64_t{1} << 21);

}  // namespace hc
