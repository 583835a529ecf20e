// Length buckets: longest first, ties in input order, every index exactly once.
#include <catch2/catch.hpp>

#include <algorithm>

#include "hc/core/error.h"
#include "hc/embed/length_buckets.h"

TEST_CASE("length_buckets sorts longest first and cuts batches of the given size", "[embed]") {
  const std::vector<std::size_t> lengths{3, 9, 5, 9, 2, 7, 5};
  const auto batches = hc::length_buckets(lengths, 3);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<std::size_t>{1, 3, 5});
  CHECK(batches[1] == std::vector<std::size_t>{2, 6, 0});
  CHECK(batches[2] == std::vector<std::size_t>{4});

  std::vector<std::size_t> all;
  for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
}

TEST_CASE("length_buckets: no texts, one batch, and a zero batch size", "[embed]") {
  CHECK(hc::length_buckets({}, 4).empty());
  CHECK(hc::length_buckets({1, 2}, 100).size() == 1);
  CHECK_THROWS_AS(hc::length_buckets({1}, 0), hc::Error);
}
