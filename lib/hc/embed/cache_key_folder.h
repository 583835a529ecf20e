#pragma once
// One key's folder in the embedding cache (<cache>/<kind>-<32 hex digits>/, see
// embedding_cache.h): its description, its last-use marker and its shard files.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hc {

// "key.json": what the key was made for, written once by the first writer (atomically; every
// writer would write the same). Read by `hc cache stats` and `clear --model-sha256`; readers of
// embeddings never need it (each shard header carries the full key).
inline constexpr const char* kCacheKeyDescription = "key.json";
// "last-use": an empty file whose modification time is set on every use of the key, the
// least-recently-used order of eviction.
inline constexpr const char* kCacheKeyLastUse = "last-use";

// Writes key.json unless present: {"format", "kind", "dim", "label", "settings"} (settings as a
// JSON object when the text is JSON, else as the text).
void write_cache_key_description(const std::filesystem::path& folder, const std::string& kind,
                                 int64_t dim, const std::string& label,
                                 const std::string& settings);
// key.json, or an empty object when it is missing or unreadable.
nlohmann::json read_cache_key_description(const std::filesystem::path& folder);

// Sets the last-use time to now (creating the marker); false when the folder does not exist.
bool touch_cache_key(const std::filesystem::path& folder);

// Seconds since the epoch, or 0 when the file is missing.
double file_mtime(const std::filesystem::path& file);
// The wall clock in the same unit, to the sub-second like file times.
double now_seconds();
// Sets a file's modification (and access) time; false when it cannot.
bool set_file_mtime(const std::filesystem::path& file, double seconds);

// The shard files (.live and .shard) of a key folder, sorted by name; empty when it is missing.
std::vector<std::filesystem::path> list_shard_files(const std::filesystem::path& folder);

}  // namespace hc
