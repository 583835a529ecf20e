#pragma once
// Wall and process CPU time together, for the benchmarks: on a shared machine a wall time means
// little without the CPU time spent in it.
#include <time.h>

#include <chrono>

#include <nlohmann/json.hpp>

namespace hc::bench {

inline double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Stopwatch {
  std::chrono::steady_clock::time_point wall_start = std::chrono::steady_clock::now();
  double cpu_start = process_cpu_seconds();

  double wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  }
  double cpu() const { return process_cpu_seconds() - cpu_start; }
  nlohmann::json json() const { return {{"seconds", wall()}, {"cpu_seconds", cpu()}}; }
};

}  // namespace hc::bench
