#pragma once
// The embedding cache folder as a whole, for `hc cache stats|prune|clear` and for the size cap
// the cache applies after writing (embedding_cache.h has the layout).
//
// Only what the cache made is ever touched: key folders named <kind>-<32 hex digits>, the files
// of the first cache format (<kind>-<32 hex digits>.safetensors and their .lock) and leftovers of
// interrupted removals (.trash-*), so pointing these at the wrong folder removes nothing else.
// A key is removed by renaming its folder out of sight first, then deleting it: readers see the
// whole key or none of it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

struct CacheKeyStats {
  std::string name;            // folder name: <kind>-<32 hex digits>
  std::string kind;            // "text" or "image"
  std::string label;           // the model's name when it was first written ("" unknown)
  std::string weights_sha256;  // from key.json ("" unknown)
  std::string dtype;
  std::string device;
  int64_t dim = 0;
  int64_t shards = 0;       // sealed shard files
  int64_t live_shards = 0;  // being written, or left by a run that was killed
  int64_t records = 0;      // whole records on disk; an item written by two processes counts
                            // twice until a compaction merges them
  int64_t bytes = 0;        // all files of the key
  double last_use = 0;      // seconds since the epoch
};

struct CacheStats {
  std::filesystem::path dir;
  std::vector<CacheKeyStats> keys;  // least recently used first
  int64_t bytes = 0;                // keys and other files
  int64_t records = 0;
  int64_t other_files = 0;  // first-format caches and leftovers (prune removes them)
  int64_t other_bytes = 0;
};

// Reads sizes, times and key.json of every key; a missing folder is an empty cache.
CacheStats cache_stats(const std::filesystem::path& dir);
// {dir, keys, records, bytes, other_files, other_bytes, models: [{weights_sha256, label, last_use,
// kinds: {text: {keys, records, bytes}, ...}}], keys_detail: [...]}; times as UTC ISO 8601.
nlohmann::ordered_json cache_stats_json(const CacheStats& stats);
// A table for people.
std::string cache_stats_text(const CacheStats& stats);

struct PruneOptions {
  int64_t max_bytes = 0;                  // remove least-recently-used keys down to this; 0: no cap
  std::optional<double> older_than_days;  // remove keys unused for longer than this
  bool compact = true;                    // merge the shards of each key
  std::vector<std::string> keep;          // key names never removed (the key in use)
  double in_use_s = 600;                  // keys used this recently are never removed
  bool remove_leftovers = true;           // files of the first cache format, interrupted removals
};

struct PruneReport {
  int64_t keys_removed = 0;
  int64_t bytes_removed = 0;  // keys and leftovers removed
  int64_t other_files_removed = 0;
  int64_t keys_compacted = 0;
  int64_t bytes_saved_by_compaction = 0;
  int64_t bytes_after = 0;
  bool over_cap = false;             // still above max_bytes: what is left is in use or kept
  std::vector<std::string> removed;  // key names, in the order removed
};

// Removes leftovers, then keys unused for older_than_days, compacts, then removes
// least-recently-used keys until the folder holds at most max_bytes.
PruneReport prune_cache(const std::filesystem::path& dir, const PruneOptions& options);
nlohmann::ordered_json prune_report_json(const PruneReport& report);

struct ClearReport {
  int64_t keys_removed = 0;
  int64_t bytes_removed = 0;
  int64_t other_files_removed = 0;
};

// Removes every key and leftover, or with model_sha256 only the keys of those weights (the
// weights_sha256 of their settings).
ClearReport clear_cache(const std::filesystem::path& dir, const std::string& model_sha256 = "");
nlohmann::ordered_json clear_report_json(const ClearReport& report);

}  // namespace hc
