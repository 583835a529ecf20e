#include <catch2/catch.hpp>

#include <filesystem>

#include "hc/core/atomic_file.h"
#include "test_support.h"

namespace fs = std::filesystem;

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
  REQUIRE(std::distance(fs::directory_iterator(target.parent_path()), fs::directory_iterator()) == 1);
}
