#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "hc/core/thread_pool.h"

TEST_CASE("parallel_for visits every index exactly once") {
  hc::ThreadPool pool(3);
  std::vector<std::atomic<int>> visits(1000);
  pool.parallel_for(visits.size(), [&](std::size_t i) { visits[i]++; });
  for (auto& v : visits) REQUIRE(v == 1);
}

TEST_CASE("parallel_for rethrows the first failure") {
  hc::ThreadPool pool(2);
  REQUIRE_THROWS_WITH(pool.parallel_for(100,
                                        [](std::size_t i) {
                                          if (i == 42) throw std::runtime_error("item 42 failed");
                                        }),
                      "item 42 failed");
}

TEST_CASE("submit returns the task's value") {
  hc::ThreadPool pool(1);
  auto answer = pool.submit([] { return 6 * 7; });
  REQUIRE(answer.get() == 42);
}
