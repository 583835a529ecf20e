#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "hc/core/error.h"
#include "hc/core/stop_signal.h"

namespace {

// Forks a child that runs `body` and exits with what it returns; returns the child's raw wait
// status. The parent gets the child's pid first through `started` (after the child is ready).
template <typename Body, typename Parent>
int run_child(Body body, Parent parent) {
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    ::_exit(body(ready[1]));
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);  // the child has installed its handlers
  ::close(ready[0]);
  parent(child);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return status;
}

void say_ready(int fd) {
  const char byte = 1;
  if (::write(fd, &byte, 1) != 1) ::_exit(90);
  ::close(fd);
}

// The way a tool ends on a stop: its loop sees the flag, saves, throws stopped_error; the app
// layer turns the hc::Error into the exit code.
int loop_until_stopped(int ready_fd) {
  hc::install_stop_signals();
  say_ready(ready_fd);
  try {
    while (!hc::stop_requested()) ::usleep(1000);
    throw hc::stopped_error("saved step 3 to ckpt/; run again with --resume ckpt/");
  } catch (const hc::Error& e) {
    return e.exit_code();
  }
}

}  // namespace

TEST_CASE("a SIGTERM sets the stop flag; installing twice changes nothing") {
  hc::install_stop_signals();
  hc::install_stop_signals();
  hc::clear_stop_request();
  CHECK_FALSE(hc::stop_requested());
  REQUIRE(std::raise(SIGTERM) == 0);
  CHECK(hc::stop_requested());
  CHECK(hc::stop_signal() == SIGTERM);

  const hc::Error error = hc::stopped_error("run again with --resume ckpt/ to go on");
  CHECK(error.kind() == hc::Error::Kind::Stopped);
  CHECK(error.exit_code() == 143);
  CHECK(std::string(error.what()) == "stopped by SIGTERM: run again with --resume ckpt/ to go on");

  // A second SIGTERM is caught again (only SIGINT's handler is one-shot).
  hc::clear_stop_request();
  REQUIRE(std::raise(SIGTERM) == 0);
  CHECK(hc::stop_signal() == SIGTERM);
  hc::clear_stop_request();
  CHECK_FALSE(hc::stop_requested());
}

TEST_CASE("a child stopped by SIGTERM exits 143 through stopped_error") {
  const int status =
      run_child(loop_until_stopped, [](pid_t child) { REQUIRE(::kill(child, SIGTERM) == 0); });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
}

TEST_CASE("a child stopped by SIGINT exits 130; a second SIGINT force-quits") {
  SECTION("one SIGINT: a clean stop") {
    const int status =
        run_child(loop_until_stopped, [](pid_t child) { REQUIRE(::kill(child, SIGINT) == 0); });
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
  }
  SECTION("two SIGINTs: the second one kills") {
    const int status = run_child(
        [](int ready_fd) {
          hc::install_stop_signals();
          say_ready(ready_fd);
          std::raise(SIGINT);
          if (hc::stop_signal() != SIGINT) return 1;
          // The handler was one-shot: SIGINT has its default action again.
          struct sigaction current {};
          ::sigaction(SIGINT, nullptr, &current);
          if (current.sa_handler != SIG_DFL) return 2;
          std::raise(SIGINT);
          return 3;  // not reached
        },
        [](pid_t) {});
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGINT);
  }
}
