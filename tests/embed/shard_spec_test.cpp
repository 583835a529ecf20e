// --shard I/N: parsing with clean usage errors, and blocks that cover a list exactly once.
#include <catch2/catch.hpp>

#include "hc/core/error.h"
#include "hc/embed/shard_spec.h"

using Catch::Matchers::Contains;

TEST_CASE("parse_shard reads I/N, 0-based", "[embed][shard]") {
  CHECK(hc::parse_shard("0/1").whole());
  const hc::ShardSpec spec = hc::parse_shard("3/8");
  CHECK(spec.index == 3);
  CHECK(spec.count == 8);
  CHECK(spec.str() == "3/8");
  CHECK(hc::parse_shard("07/10").index == 7);

  for (const char* bad : {"", "3", "/8", "3/", "a/8", "3/b", "-1/8", "3/8/9", " 3/8", "3.0/8",
                          "99999999999/100000000000"}) {
    INFO(bad);
    try {
      hc::parse_shard(bad);
      FAIL("accepted");
    } catch (const hc::Error& e) {
      CHECK(e.exit_code() == 2);
      CHECK_THAT(e.what(), Contains("--shard"));
    }
  }
  CHECK_THROWS_WITH(hc::parse_shard("2/0"), Contains("at least 1"));
  CHECK_THROWS_WITH(hc::parse_shard("9/8"), Contains("numbered from 0"));
  // $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT of an array numbered from 1.
  CHECK_THROWS_WITH(hc::parse_shard("8/8"), Contains("--array=0-7"));
}

TEST_CASE("shard_range splits a list into blocks differing by at most one", "[embed][shard]") {
  for (std::size_t items : {0, 1, 7, 100, 101}) {
    for (int count : {1, 2, 3, 8, 200}) {
      std::size_t next = 0;
      std::size_t smallest = items;
      std::size_t largest = 0;
      for (int i = 0; i < count; ++i) {
        const auto [begin, end] = hc::shard_range(items, hc::ShardSpec{i, count});
        CHECK(begin == next);
        CHECK(end >= begin);
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
        next = end;
      }
      CHECK(next == items);
      CHECK(largest - smallest <= 1);
    }
  }
  CHECK_THROWS_AS(hc::shard_range(10, hc::ShardSpec{2, 2}), hc::Error);
}
