#include "hc/train/gradient_buckets.h"

#include <map>
#include <utility>

#include <ATen/ATen.h>

namespace hc {

std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<at::Tensor>& tensors,
                                                   std::size_t max_bytes) {
  struct Open {
    std::size_t bucket;  // index into `buckets`
    std::size_t bytes;
  };
  // Keyed by (dtype, device) so that interleaved dtypes do not fragment the buckets.
  std::map<std::pair<int, std::string>, Open> open;
  std::vector<std::vector<std::size_t>> buckets;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor& tensor = tensors[i];
    if (!tensor.defined()) continue;
    std::size_t bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
    auto key = std::make_pair(static_cast<int>(tensor.scalar_type()), tensor.device().str());
    auto found = open.find(key);
    if (found == open.end() || found->second.bytes + bytes > max_bytes) {
      buckets.emplace_back();
      found = open.insert_or_assign(key, Open{buckets.size() - 1, 0}).first;
    }
    buckets[found->second.bucket].push_back(i);
    found->second.bytes += bytes;
  }
  return buckets;
}

at::Tensor flatten_bucket(const std::vector<at::Tensor>& tensors,
                          const std::vector<std::size_t>& bucket, c10::ScalarType as) {
  std::vector<at::Tensor> parts;
  parts.reserve(bucket.size());
  for (std::size_t index : bucket) parts.push_back(tensors[index].reshape({-1}).to(as));
  return at::cat(parts);
}

void unflatten_bucket(const at::Tensor& flat, const std::vector<at::Tensor>& tensors,
                      const std::vector<std::size_t>& bucket) {
  int64_t offset = 0;
  for (std::size_t index : bucket) {
    const at::Tensor& tensor = tensors[index];
    int64_t count = tensor.numel();
    tensor.copy_(flat.narrow(0, offset, count).view(tensor.sizes()));
    offset += count;
  }
}

}  // namespace hc
