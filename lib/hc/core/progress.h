#pragma once
// Progress of a long step, for people watching a terminal and for logs of batch jobs alike:
//
//   hc::Progress progress("embedding images", images.size());
//   pool.parallel_for(n, [&](std::size_t i) { ...; progress.advance(); });
//   progress.finish();
//
// On a terminal (stderr is a tty) it redraws one bar line with the rate and ETA; otherwise it
// writes an spdlog info line every ~10 s or every 10% of the total. Nothing at log level warn
// or above. advance() may be called from any thread.
#include <atomic>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>

namespace hc {

class Progress {
 public:
  enum class Mode { Auto, Bar, Log, Quiet };

  struct Settings {
    Mode mode = Mode::Auto;               // Auto: Quiet, Bar or Log as described above
    std::ostream* bar_stream = nullptr;   // where the bar goes (std::cerr when null)
    std::function<double()> clock;        // seconds; a steady clock when empty (tests fake it)
    double log_interval_s = 10.0;
    double redraw_interval_s = 0.1;
  };

  // total = 0 when the amount of work is not known in advance.
  Progress(std::string label, std::size_t total);
  Progress(std::string label, std::size_t total, Settings settings);
  // Ends an unfinished bar's line (after an error) without claiming the work is done.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::size_t n = 1);
  // Reports the final count, time and rate once.
  void finish();

  std::size_t done() const { return done_.load(std::memory_order_relaxed); }
  Mode mode() const { return mode_; }

 private:
  double now() const;
  bool due(double now, std::size_t done) const;
  void report(double now, std::size_t done);  // under mutex_
  std::string bar_line(double now, std::size_t done) const;
  std::string log_line(double now, std::size_t done) const;

  std::string label_;
  std::size_t total_;
  Settings settings_;
  Mode mode_;
  double start_;
  std::atomic<std::size_t> done_{0};
  std::atomic<double> last_report_{0.0};
  std::atomic<std::size_t> last_decile_{0};
  std::mutex mutex_;
  bool drawn_ = false;
  bool finished_ = false;
};

// "1:05" or "2:03:04".
std::string format_duration(double seconds);

}  // namespace hc
