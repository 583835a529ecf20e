#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace hc {

// The one exception type of the library. Its message is meant for the user as it is: it names
// the file, row or key at fault and what was expected. Apps map it to the exit code.
class Error : public std::runtime_error {
 public:
  // Stopped: the run ended early on request (a signal) after saving what it needs to resume;
  // it carries the shell's code for that signal (128 + number: 143 for SIGTERM, 130 for SIGINT;
  // see hc/core/stop_signal.h).
  enum class Kind { Runtime = 1, Usage = 2, Stopped = 3 };

  // Exit codes 1 (Runtime), 2 (Usage), 143 (Stopped).
  Error(Kind kind, const std::string& message)
      : Error(kind, message, kind == Kind::Runtime ? 1 : kind == Kind::Usage ? 2 : 143) {}
  Error(Kind kind, const std::string& message, int exit_code)
      : std::runtime_error(message), kind_(kind), exit_code_(exit_code) {}

  Kind kind() const noexcept { return kind_; }
  int exit_code() const noexcept { return exit_code_; }

 private:
  Kind kind_;
  int exit_code_;
};

// A bad command line, config file, key or value: exit code 2.
template <typename... Args>
Error usage_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error(Error::Kind::Usage, fmt::format(format, std::forward<Args>(args)...));
}

// Bad data, missing files, failures while working: exit code 1.
template <typename... Args>
Error runtime_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error(Error::Kind::Runtime, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace hc
