#include "hc/core/stage_timer.h"

namespace hc {
namespace {
double seconds_between(std::chrono::steady_clock::time_point from,
                       std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}
}  // namespace

StageTimer::StageTimer() : start_(std::chrono::steady_clock::now()), last_(start_) {}

double StageTimer::done(const std::string& stage) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = seconds_between(last_, now);
  last_ = now;
  add(stage, seconds);
  return seconds;
}

void StageTimer::add(const std::string& stage, double seconds) {
  const std::string key = stage + "_s";
  const double before = stages_.contains(key) ? stages_[key].get<double>() : 0.0;
  stages_[key] = before + seconds;
}

double StageTimer::lap() const {
  return seconds_between(last_, std::chrono::steady_clock::now());
}

nlohmann::ordered_json StageTimer::to_json() const {
  nlohmann::ordered_json out = stages_;
  out["total_s"] = seconds_between(start_, std::chrono::steady_clock::now());
  return out;
}

}  // namespace hc
