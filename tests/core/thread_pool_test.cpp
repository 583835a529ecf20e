#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
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

// A body that loops in parallel on the same pool (an image task that tokenises, say) used to wait
// for helpers queued behind the very workers that were waiting: a deadlock on small pools.
TEST_CASE("parallel_for nested on its own pool completes, every index once") {
  for (std::size_t threads : {1u, 2u}) {
    CAPTURE(threads);
    hc::ThreadPool pool(threads);
    const std::size_t outer = 7, inner = 13;
    std::vector<std::atomic<int>> visits(outer * inner);
    pool.parallel_for(outer, [&](std::size_t i) {
      pool.parallel_for(inner, [&](std::size_t j) { visits[i * inner + j]++; });
    });
    for (auto& v : visits) REQUIRE(v == 1);
  }
}

TEST_CASE("parallel_for from a task submitted to a one-thread pool runs on that worker") {
  hc::ThreadPool pool(1);
  auto done = pool.submit([&] {
    std::atomic<int> sum{0};
    pool.parallel_for(100, [&](std::size_t i) { sum += static_cast<int>(i); });
    return sum.load();
  });
  REQUIRE(done.get() == 4950);
}

TEST_CASE("a failure inside a nested parallel_for reaches the outer caller") {
  for (std::size_t threads : {1u, 2u}) {
    CAPTURE(threads);
    hc::ThreadPool pool(threads);
    std::atomic<int> outer_started{0};
    REQUIRE_THROWS_WITH(pool.parallel_for(4,
                                          [&](std::size_t i) {
                                            outer_started++;
                                            pool.parallel_for(10, [&](std::size_t j) {
                                              if (i == 2 && j == 5) {
                                                throw std::runtime_error("inner 2/5 failed");
                                              }
                                            });
                                          }),
                        "inner 2/5 failed");
    CHECK(outer_started >= 1);
    // The pool stays usable after the failure.
    std::atomic<int> after{0};
    pool.parallel_for(10, [&](std::size_t) { after++; });
    CHECK(after == 10);
  }
}

TEST_CASE("parallel_for from outside the pool never runs more bodies at once than it has workers") {
  for (std::size_t threads : {1u, 2u}) {
    CAPTURE(threads);
    hc::ThreadPool pool(threads);
    std::atomic<int> running{0}, most{0};
    pool.parallel_for(200, [&](std::size_t) {
      const int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::yield();
      --running;
    });
    CHECK(most.load() >= 1);
    CHECK(most.load() <= static_cast<int>(threads));
  }
}
