#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/core/atomic_directory.h"
#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "test_support.h"

namespace fs = std::filesystem;
using Catch::Matchers::StartsWith;

namespace {

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// A folder with two files (one in a sub-folder) whose content says which version it is.
void fill(const fs::path& dir, const std::string& version) {
  hc::write_file_atomically(dir / "a.txt", version);
  hc::write_file_atomically(dir / "sub" / "b.txt", version + "/b");
}

}  // namespace

TEST_CASE("an atomic folder appears whole under its name at commit") {
  hc::test::TempDir dir;
  const fs::path target = dir / "model";
  hc::AtomicDirectory folder(target);
  CHECK(folder.path().parent_path() == dir.path());
  CHECK_THAT(folder.path().filename().string(), StartsWith(".model.tmp."));
  fill(folder.path(), "new");
  CHECK_FALSE(fs::exists(target));
  folder.commit();
  CHECK(hc::test::read_bytes(target / "a.txt") == "new");
  CHECK(hc::test::read_bytes(target / "sub" / "b.txt") == "new/b");
  CHECK(entries(dir.path()) == std::vector<std::string>{"model"});
}

TEST_CASE("an uncommitted atomic folder leaves nothing behind") {
  hc::test::TempDir dir;
  {
    hc::AtomicDirectory folder(dir / "model");
    fill(folder.path(), "partial");
  }
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("an existing folder is refused, or replaced whole when asked") {
  hc::test::TempDir dir;
  const fs::path target = dir / "model";
  fs::create_directories(target);
  fill(target, "old");
  hc::write_file_atomically(target / "only_in_old.txt", "x");

  SECTION("refused when it exists at the start") {
    try {
      hc::AtomicDirectory folder(target);
      FAIL("no error");
    } catch (const hc::Error& e) {
      CHECK(e.kind() == hc::Error::Kind::Usage);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("already exists"));
    }
  }
  SECTION("refused when it appears before the commit; the temporary folder goes") {
    fs::remove_all(target);
    {
      hc::AtomicDirectory folder(target);
      fill(folder.path(), "new");
      fs::create_directories(target);  // another writer, meanwhile (an empty folder)
      CHECK_THROWS_AS(folder.commit(), hc::Error);
    }
    CHECK(fs::is_empty(target));
    CHECK(entries(dir.path()) == std::vector<std::string>{"model"});
  }
  SECTION("replaced") {
    hc::AtomicDirectory folder(target, hc::AtomicDirectory::IfExists::Replace);
    fill(folder.path(), "new");
    CHECK(hc::test::read_bytes(target / "a.txt") == "old");  // untouched until the commit
    folder.commit();
    CHECK(hc::test::read_bytes(target / "a.txt") == "new");
    CHECK_FALSE(fs::exists(target / "only_in_old.txt"));
    CHECK(entries(dir.path()) == std::vector<std::string>{"model"});
  }
}

TEST_CASE("a killed run's temporary folder is removed by the next run; a live one's is kept") {
  hc::test::TempDir dir;
  const fs::path target = dir / "model";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Dies without unwinding, as a killed run would: its temporary folder stays.
    hc::AtomicDirectory folder(target);
    hc::write_file_atomically(folder.path() / "a.txt", "partial");
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  const std::vector<std::string> left = entries(dir.path());
  REQUIRE(left.size() == 1);
  const std::string dead = left.front();
  CHECK_THAT(dead, StartsWith(".model.tmp."));
  // The same name with the pid of a live process (init, pid 1) stands for a run in progress.
  const std::string pid_text = "." + std::to_string(child) + ".";
  const std::size_t at = dead.rfind(pid_text);
  REQUIRE(at != std::string::npos);
  const std::string live = dead.substr(0, at) + ".1." + dead.substr(at + pid_text.size());
  fs::create_directories(dir / live);

  hc::AtomicDirectory folder(target);
  CHECK_FALSE(fs::exists(dir / dead));
  CHECK(fs::exists(dir / live));
  folder.commit();
  CHECK(entries(dir.path()) == std::vector<std::string>{live, "model"});
}

TEST_CASE("an atomic folder's target may be given with a trailing slash") {
  hc::test::TempDir dir;
  hc::AtomicDirectory folder(dir.path() / "model" / "");
  CHECK(folder.target() == dir / "model");
  folder.commit();
  CHECK(fs::is_directory(dir / "model"));
}
