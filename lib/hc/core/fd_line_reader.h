#pragma once
// Lines from a file descriptor (a pipe, a FIFO, a terminal, a file) for a long-lived process that
// answers them one by one: a line is returned as soon as its newline arrives (no read-ahead
// wait), and a stop request (hc/core/stop_signal.h) ends the reading even while the writer is
// silent, which a blocking std::getline on a SA_RESTART handler could not.
#include <cstddef>
#include <optional>
#include <string>

namespace hc {

class FdLineReader {
 public:
  // Does not own fd. `what` names the input in errors ("standard input").
  FdLineReader(int fd, std::string what);

  // The next line without its '\n' (nor a '\r' before it); the last line counts even without
  // a newline. Nullopt at the end of the input, or once stop_requested(). An hc::Error when
  // reading fails.
  std::optional<std::string> next();

  // Lines returned so far (the number of the last one).
  std::size_t line_number() const { return line_number_; }

 private:
  // Waits until fd is readable or a stop is requested; false on a stop.
  bool wait_readable();

  int fd_;
  std::string what_;
  std::string buffer_;
  std::size_t start_ = 0;  // where the unreturned part of buffer_ begins
  bool eof_ = false;
  std::size_t line_number_ = 0;
};

}  // namespace hc
