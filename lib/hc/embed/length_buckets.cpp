#include "hc/embed/length_buckets.h"

#include <algorithm>
#include <numeric>

#include "hc/core/error.h"

namespace hc {

std::vector<std::vector<std::size_t>> length_buckets(const std::vector<std::size_t>& lengths,
                                                     std::size_t batch_size) {
  if (batch_size == 0) throw usage_error("length_buckets: the batch size must be positive");
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t begin = 0; begin < order.size(); begin += batch_size) {
    const std::size_t end = std::min(order.size(), begin + batch_size);
    batches.emplace_back(order.begin() + begin, order.begin() + end);
  }
  return batches;
}

}  // namespace hc
