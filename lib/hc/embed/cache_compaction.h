#pragma once
// Merging one cache key's shards into one: fewer files to open for every reader, duplicates
// (items two processes computed at once) and damaged records dropped.
//
// Safe against concurrent readers and writers without relying on locks: the merged shard is
// written under a hidden name (.tmp), synced and renamed into place before any merged file is
// deleted, so a reader that finds a shard gone finds its records in the new one. Shards still
// being written are never merged. A lock file created with O_EXCL (which NFS honours, unlike
// flock) keeps a crowd of processes from merging the same shards at once; should it fail, two
// merges cost only space (the duplicates go in the next one).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

struct CompactionOptions {
  // Merge only when at least this many shards can be merged. With 1, a lone abandoned .live
  // shard is rewritten too (it gets a sealed name and loses its cut tail); a lone sealed shard
  // is always left as it is.
  int min_shards = 2;
  // A .live shard whose writer cannot be asked (another host) counts as abandoned once it has
  // not grown for this long; one of this host whose process is gone, at once.
  double live_grace_s = 24 * 3600;
  // A lock file older than this was left by a merge that died: it is broken.
  double lock_stale_s = 3600;
};

struct CompactionResult {
  bool compacted = false;
  std::string skipped;  // why not, when not compacted
  int64_t files_merged = 0;
  int64_t records_read = 0;  // verified records in the merged shards
  int64_t records_kept = 0;  // distinct items written
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

// The shards of a key folder a compaction may merge: sealed ones, and .live ones whose writer
// is gone (see CompactionOptions::live_grace_s), sorted by name.
std::vector<std::filesystem::path> mergeable_shards(const std::filesystem::path& folder,
                                                    double live_grace_s);

// Merges a key's mergeable shards into one. Throws an hc::Error when the merged shard cannot be
// written (the old shards are then left as they were).
CompactionResult compact_cache_key(const std::filesystem::path& folder,
                                   const CompactionOptions& options = {});

}  // namespace hc
