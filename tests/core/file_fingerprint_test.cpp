// The memoised SHA-256 of weights files: a sidecar per file, keyed by the resolved path and
// valid while size and mtime stay; the cache folder from the environment.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/core/cache_dir.h"
#include "hc/core/file_fingerprint.h"
#include "hc/core/sha256.h"
#include "scoped_env.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;

// Backdates a file, as if written long ago (fresh files are not memoised).
void make_old(const fs::path& path) {
  fs::last_write_time(path, fs::last_write_time(path) - std::chrono::hours(1));
}

std::vector<fs::path> sidecars(const fs::path& cache) {
  std::vector<fs::path> found;
  if (!fs::exists(cache)) return found;
  for (const auto& entry : fs::directory_iterator(cache)) found.push_back(entry.path());
  return found;
}

// Sets a file's access and modification times to exactly those of `model` (ns), as rsync -a and
// cp -p do.
void copy_times(const fs::path& model, const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(model.c_str(), &info) == 0);
  const timespec times[2] = {info.st_atim, info.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

struct stat stat_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info;
}

// What a replacement keeps for the test to mean anything: size and mtime to the nanosecond.
void require_same_size_and_mtime(const struct stat& before, const struct stat& after) {
  REQUIRE(after.st_size == before.st_size);
  REQUIRE(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  REQUIRE(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

// Memoises `file` (backdated), then doctors the sidecar so that a digest taken from it is told
// from a real hash.
std::string memoise_with_doctored_digest(const fs::path& file, const fs::path& cache) {
  hc::cached_sha256_file(file, cache);
  const auto entries = sidecars(cache);
  REQUIRE(entries.size() == 1);
  nlohmann::json entry = nlohmann::json::parse(hc::test::read_bytes(entries[0]));
  const std::string doctored(64, 'd');
  entry["sha256"] = doctored;
  hc::test::write_bytes(entries[0], entry.dump());
  REQUIRE(hc::cached_sha256_file(file, cache) == doctored);
  return doctored;
}

}  // namespace

TEST_CASE("The cache folder: HC_CACHE_DIR, else XDG_CACHE_HOME/hc, else ~/.cache/hc",
          "[fingerprint]") {
  hc::test::ScopedEnv env;
  env.set("HOME", "/home/someone").unset("XDG_CACHE_HOME").unset("HC_CACHE_DIR");
  CHECK(hc::hc_cache_dir() == fs::path("/home/someone/.cache/hc"));
  env.set("XDG_CACHE_HOME", "/xdg");
  CHECK(hc::hc_cache_dir() == fs::path("/xdg/hc"));
  CHECK(hc::fingerprint_cache_dir() == fs::path("/xdg/hc/fingerprints"));
  env.set("HC_CACHE_DIR", "/scratch/hc-cache");
  CHECK(hc::hc_cache_dir() == fs::path("/scratch/hc-cache"));
  env.set("HC_CACHE_DIR", "");  // empty counts as unset
  CHECK(hc::hc_cache_dir() == fs::path("/xdg/hc"));
}

TEST_CASE("A file's SHA-256 is memoised until its size or mtime changes", "[fingerprint]") {
  hc::test::TempDir dir;
  const fs::path cache = dir / "fingerprints";
  const fs::path file = dir / "model.safetensors";
  hc::test::write_bytes(file, "weights v1");
  make_old(file);

  CHECK(hc::cached_sha256_file(file, cache) == hc::sha256_hex("weights v1"));
  const auto entries = sidecars(cache);
  REQUIRE(entries.size() == 1);
  nlohmann::json entry = nlohmann::json::parse(hc::test::read_bytes(entries[0]));
  CHECK(entry["path"] == fs::canonical(file).string());
  CHECK(entry["size"] == 10);

  // The second call trusts the sidecar: a doctored digest shows it was not recomputed.
  const std::string doctored(64, 'a');
  entry["sha256"] = doctored;
  hc::test::write_bytes(entries[0], entry.dump());
  CHECK(hc::cached_sha256_file(file, cache) == doctored);

  // A symlink to the file (a hub snapshot entry) shares the sidecar.
  fs::create_symlink(file, dir / "link.safetensors");
  CHECK(hc::cached_sha256_file(dir / "link.safetensors", cache) == doctored);

  // New content (another size) is hashed again.
  hc::test::write_bytes(file, "weights v2!");
  make_old(file);
  CHECK(hc::cached_sha256_file(file, cache) == hc::sha256_hex("weights v2!"));
  // Same size, other mtime: hashed again too.
  hc::test::write_bytes(file, "weights v3!");
  fs::last_write_time(file, fs::last_write_time(file) - std::chrono::hours(2));
  CHECK(hc::cached_sha256_file(file, cache) == hc::sha256_hex("weights v3!"));
}

TEST_CASE("Fresh files are hashed but not memoised; corrupt sidecars are ignored",
          "[fingerprint]") {
  hc::test::TempDir dir;
  const fs::path cache = dir / "fingerprints";
  hc::test::write_bytes(dir / "new.bin", "just written");
  CHECK(hc::cached_sha256_file(dir / "new.bin", cache) == hc::sha256_hex("just written"));
  CHECK(sidecars(cache).empty());

  make_old(dir / "new.bin");
  hc::cached_sha256_file(dir / "new.bin", cache);
  const auto entries = sidecars(cache);
  REQUIRE(entries.size() == 1);
  hc::test::write_bytes(entries[0], "{not json");
  CHECK(hc::cached_sha256_file(dir / "new.bin", cache) == hc::sha256_hex("just written"));
}

TEST_CASE("An unwritable cache only costs the hashing", "[fingerprint]") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "file.bin", "data");
  make_old(dir / "file.bin");
  hc::test::write_bytes(dir / "not-a-folder", "");  // the cache path is a file
  CHECK(hc::cached_sha256_file(dir / "file.bin", dir / "not-a-folder") == hc::sha256_hex("data"));
}

TEST_CASE("A file replaced by another of the same size and mtime is hashed again",
          "[fingerprint]") {
  hc::test::TempDir dir;
  const fs::path cache = dir / "fingerprints";
  const fs::path file = dir / "model.safetensors";
  hc::test::write_bytes(file, "weights v1");
  make_old(file);

  SECTION("renamed over it (rsync -a): another inode") {
    memoise_with_doctored_digest(file, cache);
    const struct stat before = stat_of(file);
    hc::test::write_bytes(dir / ".model.tmp", "weights v2");
    copy_times(file, dir / ".model.tmp");
    fs::rename(dir / ".model.tmp", file);
    const struct stat after = stat_of(file);
    REQUIRE(after.st_ino != before.st_ino);
    require_same_size_and_mtime(before, after);
    CHECK(hc::cached_sha256_file(file, cache) == hc::sha256_hex("weights v2"));
  }
  SECTION("copied into it with its times kept (cp -p): same inode, new change time") {
    memoise_with_doctored_digest(file, cache);
    const struct stat before = stat_of(file);
    hc::test::write_bytes(dir / "v1.times", "");
    copy_times(file, dir / "v1.times");
    hc::test::write_bytes(file, "weights v2");  // truncates and rewrites the same inode
    copy_times(dir / "v1.times", file);
    const struct stat after = stat_of(file);
    REQUIRE(after.st_ino == before.st_ino);
    require_same_size_and_mtime(before, after);
    CHECK(hc::cached_sha256_file(file, cache) == hc::sha256_hex("weights v2"));
  }
}

TEST_CASE("A sidecar from before inodes were recorded is stale, not trusted", "[fingerprint]") {
  hc::test::TempDir dir;
  const fs::path cache = dir / "fingerprints";
  const fs::path file = dir / "model.safetensors";
  hc::test::write_bytes(file, "weights");
  make_old(file);
  memoise_with_doctored_digest(file, cache);
  const fs::path sidecar = sidecars(cache).at(0);
  nlohmann::json entry = nlohmann::json::parse(hc::test::read_bytes(sidecar));
  CHECK(entry["inode"] == stat_of(file).st_ino);
  entry.erase("inode");
  entry.erase("device");
  entry.erase("ctime_ns");
  hc::test::write_bytes(sidecar, entry.dump());
  CHECK(hc::cached_sha256_file(file, cache) == hc::sha256_hex("weights"));
}
