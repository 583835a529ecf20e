#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/progress.h"
#include "hc/core/thread_pool.h"

namespace {

// Sends spdlog's default logger into a string for the test's lifetime.
class CapturedLog {
 public:
  explicit CapturedLog(spdlog::level::level_enum level = spdlog::level::info)
      : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() const {
    std::vector<std::string> lines;
    std::istringstream in(text_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> previous_;
};

// A clock the test moves by hand.
struct FakeClock {
  double seconds = 1000.0;
  std::function<double()> function() {
    return [this] { return seconds; };
  }
};

hc::Progress::Settings bar_settings(std::ostringstream& out, FakeClock& clock) {
  hc::Progress::Settings settings;
  settings.mode = hc::Progress::Mode::Bar;
  settings.bar_stream = &out;
  settings.clock = clock.function();
  return settings;
}

}  // namespace

TEST_CASE("progress: durations read as m:ss or h:mm:ss") {
  REQUIRE(hc::format_duration(0) == "0:00");
  REQUIRE(hc::format_duration(65.4) == "1:05");
  REQUIRE(hc::format_duration(7384) == "2:03:04");
}

TEST_CASE("progress: a terminal bar with percentage, rate and ETA") {
  FakeClock clock;
  std::ostringstream out;
  auto settings = bar_settings(out, clock);
  {
    hc::Progress progress("embedding images", 1000, settings);
    REQUIRE(out.str().find("embedding images   0% |") != std::string::npos);
    clock.seconds += 4;
    progress.advance(400);
    std::string bar = out.str().substr(out.str().rfind('\r'));
    REQUIRE(bar.find(" 40% |############                  | 400/1000 [0:04<0:06, 100/s]") !=
            std::string::npos);
    // Within the redraw interval nothing is drawn.
    std::size_t size = out.str().size();
    progress.advance(1);
    REQUIRE(out.str().size() == size);
    clock.seconds += 6;
    progress.advance(599);
    progress.finish();
    progress.finish();  // once only
  }
  std::string text = out.str();
  REQUIRE(text.back() == '\n');
  REQUIRE(text.find("100% |##############################| 1000/1000 [0:10<0:00, 100/s]") !=
          std::string::npos);
  REQUIRE(text.find('\n') == text.size() - 1);
}

TEST_CASE("progress: a bar for an unknown total counts up") {
  FakeClock clock;
  std::ostringstream out;
  auto settings = bar_settings(out, clock);
  hc::Progress progress("reading rows", 0, settings);
  clock.seconds += 2;
  progress.advance(50);
  REQUIRE(out.str().find("reading rows 50 [0:02, 25.0/s]") != std::string::npos);
}

TEST_CASE("progress: an abandoned bar ends its line without claiming completion") {
  std::ostringstream out;
  hc::Progress::Settings settings;
  settings.mode = hc::Progress::Mode::Bar;
  settings.bar_stream = &out;
  { hc::Progress progress("work", 10, settings); }
  REQUIRE(out.str().back() == '\n');
  REQUIRE(out.str().find("10/10") == std::string::npos);
}

TEST_CASE("progress: logs every 10% or every interval, then a summary") {
  CapturedLog log;
  FakeClock clock;
  hc::Progress::Settings settings;
  settings.mode = hc::Progress::Mode::Log;
  settings.clock = clock.function();
  hc::Progress progress("encoding captions", 100, settings);
  for (int i = 0; i < 25; ++i) {
    clock.seconds += 0.125;
    progress.advance();
  }
  auto lines = log.lines();
  REQUIRE(lines.size() == 2);  // at 10% and at 20%
  REQUIRE(lines[0] == "encoding captions: 10/100 (10%), 8.00/s, ETA 0:11");
  REQUIRE(lines[1].rfind("encoding captions: 20/100 (20%)", 0) == 0);
  clock.seconds += 10;  // slow: the interval triggers before the next 10%
  progress.advance();
  REQUIRE(log.lines().size() == 3);
  REQUIRE(log.lines()[2].rfind("encoding captions: 26/100 (26%)", 0) == 0);
  progress.advance(74);
  progress.finish();
  REQUIRE(log.lines().back() == "encoding captions: 100 done in 13.1 s (7.62/s)");
}

TEST_CASE("progress: quiet at log level warn and above") {
  CapturedLog log(spdlog::level::warn);
  hc::Progress progress("silent", 10);
  REQUIRE(progress.mode() == hc::Progress::Mode::Quiet);
  progress.advance(10);
  progress.finish();
  REQUIRE(log.lines().empty());
}

TEST_CASE("progress: advance from many threads counts every item") {
  CapturedLog log;
  hc::Progress::Settings settings;
  settings.mode = hc::Progress::Mode::Log;
  settings.log_interval_s = 0.0;  // report as often as possible to stress the locking
  hc::Progress progress("parallel", 80000, settings);
  hc::ThreadPool pool(4);
  pool.parallel_for(80000, [&](std::size_t) { progress.advance(); });
  progress.finish();
  REQUIRE(progress.done() == 80000);
  REQUIRE(log.lines().back().rfind("parallel: 80000 done in", 0) == 0);
}
