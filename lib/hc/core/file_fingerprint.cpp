#include "hc/core/file_fingerprint.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "hc/core/atomic_file.h"
#include "hc/core/cache_dir.h"
#include "hc/core/error.h"
#include "hc/core/sha256.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

// Modified this recently, a file may still change within the same timestamp tick.
constexpr int64_t kRacyWindowNs = 2'000'000'000;

// What identifies one version of a file without reading it. Size and mtime can both be kept by
// a replacement: a file renamed over it (rsync -a) has another inode; one copied into it in place
// with its times kept (cp -p) keeps the inode but not the change time, which nothing can set.
struct FileStamp {
  std::string path;  // absolute, symlinks resolved
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;

  bool operator==(const FileStamp& other) const {
    return path == other.path && size == other.size && mtime_ns == other.mtime_ns &&
           ctime_ns == other.ctime_ns && inode == other.inode && device == other.device;
  }
};

int64_t nanoseconds(const timespec& time) {
  return static_cast<int64_t>(time.tv_sec) * 1'000'000'000 + static_cast<int64_t>(time.tv_nsec);
}

FileStamp stamp_of(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::canonical(path, ec);
  if (ec) throw runtime_error("cannot read {}: {}", path.string(), ec.message());
  struct stat info {};
  if (::stat(absolute.c_str(), &info) != 0) {
    throw runtime_error("cannot read {}: {}", path.string(), std::strerror(errno));
  }
  return FileStamp{absolute.string(),
                   static_cast<int64_t>(info.st_size),
                   nanoseconds(info.st_mtim),
                   nanoseconds(info.st_ctim),
                   static_cast<uint64_t>(info.st_ino),
                   static_cast<uint64_t>(info.st_dev)};
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

fs::path sidecar_path(const fs::path& cache_dir, const FileStamp& stamp) {
  return cache_dir / (sha256_hex(stamp.path).substr(0, 32) + ".json");
}

bool is_hex_digest(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The recorded digest when the sidecar describes this very file; nothing for a missing, stale
// or unreadable sidecar (one written before the inode and ctime were recorded counts as stale).
std::optional<std::string> read_sidecar(const fs::path& sidecar, const FileStamp& stamp) {
  std::ifstream in(sidecar, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    nlohmann::json entry = nlohmann::json::parse(text.str());
    for (const char* key : {"ctime_ns", "inode", "device"}) {
      if (!entry.contains(key)) return std::nullopt;
    }
    std::string digest = entry.at("sha256").get<std::string>();
    const FileStamp recorded{entry.at("path").get<std::string>(),
                             entry.at("size").get<int64_t>(),
                             entry.at("mtime_ns").get<int64_t>(),
                             entry.at("ctime_ns").get<int64_t>(),
                             entry.at("inode").get<uint64_t>(),
                             entry.at("device").get<uint64_t>()};
    if (recorded == stamp && is_hex_digest(digest)) return digest;
  } catch (const nlohmann::json::exception&) {
    spdlog::debug("ignoring the malformed fingerprint cache entry {}", sidecar.string());
  }
  return std::nullopt;
}

void write_sidecar(const fs::path& sidecar, const FileStamp& stamp, const std::string& digest) {
  nlohmann::json entry = {{"path", stamp.path},
                          {"size", stamp.size},
                          {"mtime_ns", stamp.mtime_ns},
                          {"ctime_ns", stamp.ctime_ns},
                          {"inode", stamp.inode},
                          {"device", stamp.device},
                          {"sha256", digest}};
  try {
    write_file_atomically(sidecar, entry.dump(2) + "\n");
  } catch (const std::exception& e) {
    spdlog::debug("not memoising the SHA-256 of {}: {}", stamp.path, e.what());
  }
}

}  // namespace

fs::path fingerprint_cache_dir() { return hc_cache_dir() / "fingerprints"; }

std::string cached_sha256_file(const fs::path& path) {
  return cached_sha256_file(path, fingerprint_cache_dir());
}

std::string cached_sha256_file(const fs::path& path, const fs::path& cache_dir) {
  const FileStamp before = stamp_of(path);
  const fs::path sidecar = sidecar_path(cache_dir, before);
  if (std::optional<std::string> known = read_sidecar(sidecar, before)) return *known;

  const int64_t started = now_ns();
  // Only worth a line for files that take a while (~1 s per GB).
  spdlog::log(before.size > (int64_t{256} << 20) ? spdlog::level::info : spdlog::level::debug,
              "computing the SHA-256 of {} ({:.1f} MB)", before.path,
              static_cast<double>(before.size) / 1e6);
  std::string digest = sha256_file(before.path);
  const FileStamp after = stamp_of(path);
  if (after == before && started - before.mtime_ns > kRacyWindowNs) {
    write_sidecar(sidecar, before, digest);
  }
  return digest;
}

}  // namespace hc
