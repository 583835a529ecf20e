#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

std::size_t entry_count(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

// A content that shows whether it is whole: `size` copies of `tag` between two markers.
std::string whole_content(char tag, std::size_t size) { return "<" + std::string(size, tag) + ">"; }

bool is_whole(const std::string& text, std::size_t size) {
  if (text.size() != size + 2 || text.front() != '<' || text.back() != '>') return false;
  return text.find_first_not_of(text[1], 1) == size + 1;
}

// Writes in several pieces, so a shared temporary file would interleave writers.
void write_in_pieces(const fs::path& path, char tag, std::size_t size) {
  hc::AtomicFile file(path);
  const std::string content = whole_content(tag, size);
  for (std::size_t at = 0; at < content.size(); at += 1000) {
    file.stream() << content.substr(at, 1000);
    std::this_thread::yield();
  }
  file.commit();
}

}  // namespace

TEST_CASE("an uncommitted atomic file leaves nothing behind") {
  hc::test::TempDir dir;
  fs::path target = dir / "out.json";
  {
    hc::AtomicFile file(target);
    file.stream() << "{\"partial\":";
  }
  REQUIRE_FALSE(fs::exists(target));
  REQUIRE(fs::is_empty(dir.path()));
}

TEST_CASE("a committed atomic file replaces the target whole") {
  hc::test::TempDir dir;
  fs::path target = dir / "sub" / "out.json";
  hc::write_file_atomically(target, "old");
  hc::write_file_atomically(target, "new content");
  REQUIRE(hc::test::read_bytes(target) == "new content");
  REQUIRE(entry_count(target.parent_path()) == 1);
}

TEST_CASE("two atomic files for one target never share a temporary file") {
  hc::test::TempDir dir;
  hc::AtomicFile first(dir / "out");
  hc::AtomicFile second(dir / "out");
  CHECK(first.temp_path() != second.temp_path());
  first.stream() << "first";
  second.stream() << "second";
  first.commit();
  second.commit();
  CHECK(hc::test::read_bytes(dir / "out") == "second");
  CHECK(entry_count(dir.path()) == 1);
}

TEST_CASE("threads writing siblings and one target at once all leave whole files") {
  hc::test::TempDir dir;
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  constexpr std::size_t kSize = 200000;  // several buffer fills per file
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const char tag = static_cast<char>('a' + t);
      for (int round = 0; round < kRounds; ++round) {
        write_in_pieces(dir / ("own_" + std::to_string(t)), tag, kSize);
        write_in_pieces(dir / "shared", tag, kSize);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    const std::string own = hc::test::read_bytes(dir / ("own_" + std::to_string(t)));
    CHECK(is_whole(own, kSize));
    CHECK(own[1] == static_cast<char>('a' + t));
  }
  CHECK(is_whole(hc::test::read_bytes(dir / "shared"), kSize));
  CHECK(entry_count(dir.path()) == kThreads + 1);  // no temporary file left
}

TEST_CASE("a forked child racing the parent on one target leaves a whole file") {
  hc::test::TempDir dir;
  constexpr int kRounds = 30;
  constexpr std::size_t kSize = 100000;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child shares the parent's temp counter value: only its pid keeps names apart.
    int status = 0;
    try {
      for (int round = 0; round < kRounds; ++round) write_in_pieces(dir / "shared", 'c', kSize);
    } catch (...) {
      status = 1;
    }
    ::_exit(status);
  }
  for (int round = 0; round < kRounds; ++round) write_in_pieces(dir / "shared", 'p', kSize);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(is_whole(hc::test::read_bytes(dir / "shared"), kSize));
  CHECK(entry_count(dir.path()) == 1);
}

TEST_CASE("a write past the file size limit is reported and leaves no file") {
  hc::test::TempDir dir;
  // Beyond RLIMIT_FSIZE, write() fails with EFBIG (once SIGXFSZ is ignored): a real failing disk
  // write without a full disk.
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = 100000;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  std::string message;
  try {
    hc::write_file_atomically(dir / "big", std::string(300000, 'x'));
  } catch (const hc::Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);
  CHECK_THAT(message,
             Catch::Matchers::Contains("big") && Catch::Matchers::Contains("File too large"));
  CHECK(fs::is_empty(dir.path()));
}
