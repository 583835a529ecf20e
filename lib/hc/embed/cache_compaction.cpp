#include "hc/embed/cache_compaction.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hc/core/error.h"
#include "hc/embed/cache_key_folder.h"
#include "hc/embed/embedding_shard.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

constexpr const char* kLockName = "compact.lock";
constexpr int64_t kRecordsPerWrite = 1024;

struct DigestHash {
  std::size_t operator()(const ItemDigest& digest) const noexcept {
    std::size_t h;
    std::memcpy(&h, digest.data(), sizeof h);  // already uniformly distributed
    return h;
  }
};

double seconds_since(double mtime) { return now_seconds() - mtime; }

// The O_EXCL lock file, removed on destruction; not held when another live merge holds it.
class CompactionLock {
 public:
  CompactionLock(const fs::path& folder, double stale_s) : file_(folder / kLockName) {
    for (int attempt = 0; attempt < 2 && !held_; ++attempt) {
      const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        const std::string owner = fmt::format("pid {}\n", ::getpid());
        (void)!::write(fd, owner.data(), owner.size());
        ::close(fd);
        held_ = true;
      } else if (errno == EEXIST && seconds_since(file_mtime(file_)) > stale_s) {
        spdlog::info("breaking the stale compaction lock {}", file_.string());
        ::unlink(file_.c_str());
      } else {
        break;
      }
    }
  }
  ~CompactionLock() {
    if (held_) ::unlink(file_.c_str());
  }
  CompactionLock(const CompactionLock&) = delete;
  CompactionLock& operator=(const CompactionLock&) = delete;
  bool held() const { return held_; }

 private:
  fs::path file_;
  bool held_ = false;
};

int64_t file_size_or_zero(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

// The key and width the shards were written for: those of the first readable header.
std::optional<ShardHeader> key_of(const std::vector<fs::path>& shards) {
  for (const auto& shard : shards) {
    if (auto header = read_shard_header(shard)) return header;
  }
  return std::nullopt;
}

// Copies the distinct verified records of the shards into the writer, in pieces.
void copy_distinct(const std::vector<fs::path>& shards, const ShardHeader& header,
                   ShardWriter& writer, CompactionResult& result, std::vector<fs::path>& merged) {
  std::unordered_set<ItemDigest, DigestHash> seen;
  std::vector<ItemDigest> digests;
  std::vector<float> values;
  const auto flush = [&] {
    writer.append(digests.data(), values.data(), static_cast<int64_t>(digests.size()));
    digests.clear();
    values.clear();
  };
  for (const auto& shard : shards) {
    const ShardScan scan =
        scan_shard(shard, header.key, header.dim, 0,
                   [&](const ItemDigest& digest, const uint8_t* row, int64_t) {
                     ++result.records_read;
                     if (!seen.insert(digest).second) return;
                     digests.push_back(digest);
                     values.resize(values.size() + static_cast<std::size_t>(header.dim));
                     std::memcpy(values.data() + values.size() - header.dim, row, 4 * header.dim);
                     if (static_cast<int64_t>(digests.size()) >= kRecordsPerWrite) flush();
                   });
    // A shard another merge removed meanwhile: its records are in that merge's output.
    if (scan.status == ShardScan::Status::Vanished) continue;
    if (scan.status == ShardScan::Status::Rejected) {
      spdlog::warn("embedding cache: dropping {} during compaction ({})", shard.string(),
                   scan.error);
    }
    merged.push_back(shard);
  }
  if (!digests.empty()) flush();
  result.records_kept = static_cast<int64_t>(seen.size());
}

// Why these shards are not worth merging, or "" when they are.
std::string why_not_merge(const std::vector<fs::path>& shards, const CompactionOptions& options) {
  if (static_cast<int>(shards.size()) < std::max(1, options.min_shards)) {
    return "too few shards to merge";
  }
  if (shards.size() == 1 && shard_file_kind(shards[0]) == ShardFileKind::Sealed) {
    return "already one shard";
  }
  return "";
}

}  // namespace

std::vector<fs::path> mergeable_shards(const fs::path& folder, double live_grace_s) {
  std::vector<fs::path> shards;
  for (const fs::path& shard : list_shard_files(folder)) {
    if (shard_file_kind(shard) == ShardFileKind::Live && shard_writer_alive(shard) &&
        seconds_since(file_mtime(shard)) < live_grace_s) {
      continue;  // still being written
    }
    shards.push_back(shard);
  }
  return shards;
}

CompactionResult compact_cache_key(const fs::path& folder, const CompactionOptions& options) {
  CompactionResult result;
  std::vector<fs::path> shards = mergeable_shards(folder, options.live_grace_s);
  if (!(result.skipped = why_not_merge(shards, options)).empty()) return result;
  CompactionLock lock(folder, options.lock_stale_s);
  if (!lock.held()) {
    result.skipped = "another process is merging them";
    return result;
  }
  // Again, now that no other merge runs: one may have finished just before.
  shards = mergeable_shards(folder, options.live_grace_s);
  if (!(result.skipped = why_not_merge(shards, options)).empty()) return result;
  for (const auto& shard : shards) result.bytes_before += file_size_or_zero(shard);
  const std::optional<ShardHeader> header = key_of(shards);
  std::vector<fs::path> merged;
  if (header) {
    ShardWriter writer(folder, header->key, header->dim, ShardWriter::Visibility::Hidden);
    try {
      copy_distinct(shards, *header, writer, result, merged);
    } catch (...) {
      writer.discard();
      throw;
    }
    writer.seal();  // synced and renamed into place before anything is deleted
    result.bytes_after = file_size_or_zero(writer.file());
    // Merging is no use of the key: keep its place in the least-recently-used order.
    double newest = 0;
    for (const auto& shard : merged) newest = std::max(newest, file_mtime(shard));
    if (newest > 0) set_file_mtime(writer.file(), newest);
  } else {
    merged = shards;  // nothing readable in any of them
  }
  for (const auto& shard : merged) ::unlink(shard.c_str());
  result.files_merged = static_cast<int64_t>(merged.size());
  result.compacted = true;
  return result;
}

}  // namespace hc
