#pragma once
// np.mean of a float64 vector to the last bit: numpy sums contiguous float64 with pairwise
// summation (blocks of at most 128 summed in 8 interleaved lanes) and divides by the count.
// The reference reports its metrics as np.mean over Python lists; summing the same way makes
// ours identical rather than within 1e-15.
#include <vector>

namespace hc {

// NaN for an empty vector, as numpy (which also warns).
double numpy_mean(const std::vector<double>& values);

}  // namespace hc
