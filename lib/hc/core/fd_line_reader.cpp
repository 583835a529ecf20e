#include "hc/core/fd_line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hc/core/error.h"
#include "hc/core/stop_signal.h"

namespace hc {
namespace {

// poll() is never restarted after a signal handler ran (signal(7)), so a stop usually ends the
// wait at once; the timeout only bounds the window between looking at the flag and polling.
constexpr int kStopCheckMs = 200;
constexpr std::size_t kReadBytes = 64 * 1024;

std::string without_carriage_return(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

FdLineReader::FdLineReader(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}

bool FdLineReader::wait_readable() {
  // poll() skips a negative descriptor: it would wait for ever.
  if (fd_ < 0) throw runtime_error("{}: not an open file descriptor", what_);
  pollfd request{fd_, POLLIN, 0};
  while (!stop_requested()) {
    const int ready = ::poll(&request, 1, kStopCheckMs);
    if (ready > 0) return true;  // readable, or hung up / failed: read() tells which
    if (ready < 0 && errno != EINTR) {
      throw runtime_error("{}: cannot wait for input: {}", what_, std::strerror(errno));
    }
  }
  return false;
}

std::optional<std::string> FdLineReader::next() {
  for (;;) {
    const std::size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(start_, newline - start_);
      start_ = newline + 1;
      ++line_number_;
      return without_carriage_return(std::move(line));
    }
    if (eof_) {
      if (start_ >= buffer_.size()) return std::nullopt;
      std::string line = buffer_.substr(start_);
      start_ = buffer_.size();
      ++line_number_;
      return without_carriage_return(std::move(line));
    }
    if (start_ > 0) {  // keep only the unfinished line
      buffer_.erase(0, start_);
      start_ = 0;
    }
    if (!wait_readable()) return std::nullopt;
    const std::size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadBytes);
    const ssize_t got = ::read(fd_, buffer_.data() + old_size, kReadBytes);
    buffer_.resize(old_size + static_cast<std::size_t>(got > 0 ? got : 0));
    if (got == 0) eof_ = true;
    if (got < 0 && errno != EINTR && errno != EAGAIN) {
      throw runtime_error("{}: cannot read: {}", what_, std::strerror(errno));
    }
  }
}

}  // namespace hc
