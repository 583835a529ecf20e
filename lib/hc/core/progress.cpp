#include "hc/core/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

namespace hc {
namespace {

constexpr int kBarWidth = 30;

std::string format_rate(double rate) {
  if (rate >= 100) return fmt::format("{:.0f}/s", rate);
  if (rate >= 10) return fmt::format("{:.1f}/s", rate);
  return fmt::format("{:.2f}/s", rate);
}

double rate_of(std::size_t done, double elapsed) {
  return elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
}

std::string eta_of(std::size_t done, std::size_t total, double rate) {
  if (done >= total) return format_duration(0);
  if (rate <= 0) return "?";
  return format_duration(static_cast<double>(total - done) / rate);
}

int percent_of(std::size_t done, std::size_t total) {
  return static_cast<int>(std::min<std::size_t>(100, done * 100 / total));
}

}  // namespace

std::string format_duration(double seconds) {
  auto whole = static_cast<long long>(std::max(0.0, std::round(seconds)));
  long long hours = whole / 3600, minutes = whole / 60 % 60, secs = whole % 60;
  if (hours > 0) return fmt::format("{}:{:02}:{:02}", hours, minutes, secs);
  return fmt::format("{}:{:02}", minutes, secs);
}

Progress::Progress(std::string label, std::size_t total)
    : Progress(std::move(label), total, Settings{}) {}

Progress::Progress(std::string label, std::size_t total, Settings settings)
    : label_(std::move(label)), total_(total), settings_(std::move(settings)),
      mode_(settings_.mode) {
  if (mode_ == Mode::Auto) {
    if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) {
      mode_ = Mode::Quiet;
    } else {
      mode_ = ::isatty(STDERR_FILENO) ? Mode::Bar : Mode::Log;
    }
  }
  if (!settings_.bar_stream) settings_.bar_stream = &std::cerr;
  start_ = now();
  last_report_ = start_;
  if (mode_ == Mode::Bar) {
    std::lock_guard<std::mutex> lock(mutex_);
    report(start_, 0);
  }
}

Progress::~Progress() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!finished_ && mode_ == Mode::Bar && drawn_) *settings_.bar_stream << "\n" << std::flush;
  finished_ = true;
}

double Progress::now() const {
  if (settings_.clock) return settings_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Progress::due(double now, std::size_t done) const {
  double since = now - last_report_.load(std::memory_order_relaxed);
  if (mode_ == Mode::Bar) return since >= settings_.redraw_interval_s;
  if (since >= settings_.log_interval_s) return true;
  return total_ > 0 && std::min<std::size_t>(done, total_) * 10 / total_ >
                           last_decile_.load(std::memory_order_relaxed);
}

void Progress::advance(std::size_t n) {
  std::size_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  if (mode_ == Mode::Quiet) return;
  double t = now();
  if (!due(t, done)) return;
  // Whoever holds the lock is reporting already; the others just count.
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  done = done_.load(std::memory_order_relaxed);
  if (due(t, done)) report(t, done);
}

void Progress::report(double now, std::size_t done) {
  if (mode_ == Mode::Bar) {
    *settings_.bar_stream << '\r' << bar_line(now, done) << "\x1b[K" << std::flush;
    drawn_ = true;
  } else if (mode_ == Mode::Log) {
    spdlog::info("{}", log_line(now, done));
  }
  last_report_.store(now, std::memory_order_relaxed);
  if (total_ > 0) {
    last_decile_.store(std::min(done, total_) * 10 / total_, std::memory_order_relaxed);
  }
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  double t = now();
  std::size_t done = done_.load(std::memory_order_relaxed);
  double elapsed = t - start_;
  if (mode_ == Mode::Bar) {
    *settings_.bar_stream << '\r' << bar_line(t, done) << "\x1b[K\n" << std::flush;
  } else if (mode_ == Mode::Log) {
    std::string took = elapsed < 60 ? fmt::format("{:.1f} s", elapsed) : format_duration(elapsed);
    spdlog::info("{}: {} done in {} ({})", label_, done, took,
                 format_rate(rate_of(done, elapsed)));
  }
}

std::string Progress::bar_line(double now, std::size_t done) const {
  double elapsed = now - start_;
  double rate = rate_of(done, elapsed);
  if (total_ == 0) {
    return fmt::format("{} {} [{}, {}]", label_, done, format_duration(elapsed), format_rate(rate));
  }
  int percent = percent_of(done, total_);
  int filled = static_cast<int>(std::min<std::size_t>(done, total_) * kBarWidth / total_);
  return fmt::format("{} {:3}% |{}{}| {}/{} [{}<{}, {}]", label_, percent,
                     std::string(filled, '#'), std::string(kBarWidth - filled, ' '), done, total_,
                     format_duration(elapsed), eta_of(done, total_, rate), format_rate(rate));
}

std::string Progress::log_line(double now, std::size_t done) const {
  double rate = rate_of(done, now - start_);
  if (total_ == 0) return fmt::format("{}: {} done, {}", label_, done, format_rate(rate));
  return fmt::format("{}: {}/{} ({}%), {}, ETA {}", label_, done, total_,
                     percent_of(done, total_), format_rate(rate), eta_of(done, total_, rate));
}

}  // namespace hc
