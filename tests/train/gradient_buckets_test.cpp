// Bucket plans for the data-parallel exchange: every tensor in exactly one bucket, one dtype per
// bucket, the size cap held, and flat buffers that copy back into tensors of any layout.
#include "catch_torch.h"

#include <set>
#include <vector>

#include "hc/train/gradient_buckets.h"

namespace {

std::size_t bytes_of(const std::vector<at::Tensor>& tensors, const std::vector<std::size_t>& bucket) {
  std::size_t total = 0;
  for (std::size_t index : bucket) {
    total += static_cast<std::size_t>(tensors[index].numel()) * tensors[index].element_size();
  }
  return total;
}

}  // namespace

TEST_CASE("gradient buckets: every defined tensor once, one dtype each, at most the cap",
          "[train][distributed]") {
  std::vector<at::Tensor> tensors = {
      torch::zeros({10}),                    // 40 bytes
      torch::zeros({3}, torch::kDouble),     // 24
      torch::zeros({20}),                    // 80
      at::Tensor(),                          // undefined: in no bucket
      torch::zeros({100}),                   // 400: larger than the cap, alone
      torch::zeros({5}, torch::kDouble),     // 40
      torch::zeros({4}),                     // 16
  };
  const std::size_t cap = 128;
  auto buckets = hc::plan_buckets(tensors, cap);

  std::multiset<std::size_t> seen;
  for (const auto& bucket : buckets) {
    REQUIRE_FALSE(bucket.empty());
    for (std::size_t index : bucket) {
      seen.insert(index);
      CHECK(tensors[index].scalar_type() == tensors[bucket.front()].scalar_type());
    }
    if (bucket.size() > 1) CHECK(bytes_of(tensors, bucket) <= cap);
    for (std::size_t i = 1; i < bucket.size(); ++i) CHECK(bucket[i - 1] < bucket[i]);
  }
  CHECK(seen == std::multiset<std::size_t>{0, 1, 2, 4, 5, 6});
  // The float tensors 0 and 2 share a bucket although a double sits between them.
  bool together = false;
  for (const auto& bucket : buckets) together |= bucket == std::vector<std::size_t>{0, 2};
  CHECK(together);
  // The oversized tensor is a bucket of its own; a cap above everything gives one per dtype.
  bool alone = false;
  for (const auto& bucket : buckets) alone |= bucket == std::vector<std::size_t>{4};
  CHECK(alone);
  CHECK(hc::plan_buckets(tensors, 1 << 20).size() == 2);
}

TEST_CASE("gradient buckets: flatten and copy back through strided tensors and other dtypes",
          "[train][distributed]") {
  at::Tensor transposed = torch::arange(12, torch::kFloat).reshape({3, 4}).t();  // strided
  at::Tensor half = torch::arange(5, torch::kFloat).to(torch::kBFloat16);
  at::Tensor plain = torch::arange(3, torch::kFloat) + 100;
  std::vector<at::Tensor> tensors = {transposed, half, plain};
  std::vector<std::size_t> bucket = {0, 1, 2};

  at::Tensor flat = hc::flatten_bucket(tensors, bucket, torch::kFloat);
  REQUIRE(flat.dim() == 1);
  REQUIRE(flat.numel() == 12 + 5 + 3);
  CHECK(flat.scalar_type() == torch::kFloat);
  CHECK(torch::equal(flat.narrow(0, 0, 12), transposed.reshape({-1})));
  CHECK(torch::equal(flat.narrow(0, 12, 5), half.to(torch::kFloat)));

  flat.mul_(2);
  hc::unflatten_bucket(flat, tensors, bucket);
  CHECK(torch::equal(transposed, torch::arange(12, torch::kFloat).reshape({3, 4}).t() * 2));
  CHECK(half.scalar_type() == torch::kBFloat16);
  CHECK(torch::equal(half.to(torch::kFloat), torch::arange(5, torch::kFloat) * 2));
  CHECK(torch::equal(plain, (torch::arange(3, torch::kFloat) + 100) * 2));
}
