// FdLineReader: lines as they arrive from a descriptor, the last one without a newline, and a
// stop signal ending a wait on a silent writer.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <string>

#include "hc/core/error.h"
#include "hc/core/fd_line_reader.h"
#include "hc/core/stop_signal.h"

namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    ::close(read);
    if (write >= 0) ::close(write);
  }
  void send(const std::string& bytes) const {
    REQUIRE(::write(write, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  void close_write() {
    ::close(write);
    write = -1;
  }
};

}  // namespace

TEST_CASE("fd line reader: lines, CRLF, an unfinished last line, then the end", "[core]") {
  Pipe pipe;
  pipe.send("one\r\ntwo\n\nthr");
  hc::FdLineReader reader(pipe.read, "test pipe");
  CHECK(reader.next() == std::optional<std::string>("one"));
  CHECK(reader.next() == std::optional<std::string>("two"));
  CHECK(reader.next() == std::optional<std::string>(""));
  CHECK(reader.line_number() == 3);
  pipe.send("ee\nfour");  // a line split across writes is put back together
  CHECK(reader.next() == std::optional<std::string>("three"));
  pipe.close_write();
  CHECK(reader.next() == std::optional<std::string>("four"));
  CHECK(reader.line_number() == 5);
  CHECK_FALSE(reader.next().has_value());
  CHECK_FALSE(reader.next().has_value());
}

TEST_CASE("fd line reader: a stop signal ends the wait on a silent writer", "[core]") {
  hc::install_stop_signals();
  hc::clear_stop_request();
  Pipe pipe;
  pipe.send("first\n");
  hc::FdLineReader reader(pipe.read, "test pipe");
  CHECK(reader.next() == std::optional<std::string>("first"));
  REQUIRE(::raise(SIGTERM) == 0);  // only sets the flag
  CHECK_FALSE(reader.next().has_value());  // returns instead of waiting for a writer
  CHECK(hc::stop_signal() == SIGTERM);
  hc::clear_stop_request();
}

TEST_CASE("fd line reader: a descriptor that cannot be read is an error naming it", "[core]") {
  hc::FdLineReader reader(-1, "test input");
  CHECK_THROWS_WITH(reader.next(), Catch::Matchers::Contains("test input"));
}
