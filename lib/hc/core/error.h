#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace hc {

// The one exception type of the library. Its message is meant for the user as it is: it names
// the file, row or key at fault and what was expected. Apps map it to the exit code.
class Error : public std::runtime_error {
 public:
  enum class Kind { Runtime = 1, Usage = 2 };

  Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  Kind kind() const noexcept { return kind_; }
  int exit_code() const noexcept { return static_cast<int>(kind_); }

 private:
  Kind kind_;
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
