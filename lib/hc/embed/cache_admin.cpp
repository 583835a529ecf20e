#include "hc/embed/cache_admin.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <random>
#include <system_error>

#include <fmt/format.h>

#include "hc/core/byte_size.h"
#include "hc/core/error.h"
#include "hc/embed/cache_compaction.h"
#include "hc/embed/cache_key_folder.h"
#include "hc/embed/embedding_shard.h"

namespace hc {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr const char* kTrashPrefix = ".trash-";
constexpr double kStaleTempS = 24 * 3600;  // an unfinished compaction older than this died

// <kind>-<32 lower-case hex digits>, kind in lower-case letters; kind_out gets the kind.
bool is_key_name(const std::string& name, std::string* kind_out = nullptr) {
  const std::size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || name.size() - dash - 1 != 32) return false;
  for (std::size_t i = 0; i < dash; ++i) {
    if (!std::islower(static_cast<unsigned char>(name[i]))) return false;
  }
  for (std::size_t i = dash + 1; i < name.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(name[i])) ||
        std::isupper(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  if (kind_out) *kind_out = name.substr(0, dash);
  return true;
}

// The files of the first cache format (one safetensors file per key, and its lock file).
bool is_first_format_file(const std::string& name) {
  fs::path file(name);
  if (file.extension() == ".lock") file = file.stem();
  return file.extension() == ".safetensors" && is_key_name(file.stem().string());
}

bool is_trash(const std::string& name) { return name.rfind(kTrashPrefix, 0) == 0; }

int64_t tree_bytes(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }
  int64_t bytes = 0;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const auto size = it->file_size(size_error);
      if (!size_error) bytes += static_cast<int64_t>(size);
    }
  }
  return bytes;
}

std::string json_string(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

CacheKeyStats key_stats(const fs::path& folder, const std::string& kind) {
  CacheKeyStats stats;
  stats.name = folder.filename().string();
  stats.kind = kind;
  const nlohmann::json description = read_cache_key_description(folder);
  stats.label = json_string(description, "label");
  if (auto dim = description.find("dim"); dim != description.end() && dim->is_number_integer()) {
    stats.dim = dim->get<int64_t>();
  }
  if (auto settings = description.find("settings");
      settings != description.end() && settings->is_object()) {
    stats.weights_sha256 = json_string(*settings, "weights_sha256");
    stats.dtype = json_string(*settings, "dtype");
    stats.device = json_string(*settings, "device");
  }
  stats.last_use = file_mtime(folder / kCacheKeyLastUse);
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_error;
    const auto size = it->file_size(size_error);
    if (size_error) continue;  // removed meanwhile, or a folder
    stats.bytes += static_cast<int64_t>(size);
    const ShardFileKind file_kind = shard_file_kind(it->path());
    if (file_kind != ShardFileKind::Live && file_kind != ShardFileKind::Sealed) continue;
    ++(file_kind == ShardFileKind::Live ? stats.live_shards : stats.shards);
    stats.last_use = std::max(stats.last_use, file_mtime(it->path()));
    if (stats.dim == 0) {
      if (auto header = read_shard_header(it->path())) stats.dim = header->dim;
    }
    if (stats.dim > 0 && static_cast<int64_t>(size) > kShardHeaderBytes) {
      stats.records +=
          (static_cast<int64_t>(size) - kShardHeaderBytes) / shard_record_bytes(stats.dim);
    }
  }
  return stats;
}

// Renames the folder or file out of sight, then deletes it. False when it was already gone.
bool remove_entry(const fs::path& dir, const std::string& name) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const fs::path trash = dir / fmt::format("{}{}-{:016x}", kTrashPrefix, name, random());
  std::error_code ec;
  fs::rename(dir / name, trash, ec);
  if (ec) {
    if (ec != std::errc::no_such_file_or_directory) {
      spdlog::warn("embedding cache: cannot remove {}: {}", (dir / name).string(), ec.message());
    }
    return false;
  }
  fs::remove_all(trash, ec);
  if (ec) spdlog::warn("embedding cache: cannot delete {}: {}", trash.string(), ec.message());
  return true;
}

std::string utc_time(double seconds) {
  if (seconds <= 0) return "";
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Files of no key at the top of the cache: first-format caches and interrupted removals.
int64_t remove_leftovers(const fs::path& dir, int64_t& bytes) {
  int64_t removed = 0;
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (is_first_format_file(name) || is_trash(name)) names.push_back(name);
  }
  for (const auto& name : names) {
    const int64_t size = tree_bytes(dir / name);
    if (is_trash(name)) {
      fs::remove_all(dir / name, ec);  // already out of sight
      if (ec) continue;
    } else if (!remove_entry(dir, name)) {
      continue;
    }
    bytes += size;
    ++removed;
  }
  return removed;
}

// .tmp files of compactions that died long ago.
void remove_stale_temps(const fs::path& folder) {
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (shard_file_kind(it->path()) == ShardFileKind::Temp &&
        now_seconds() - file_mtime(it->path()) > kStaleTempS) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

bool removable(const CacheKeyStats& key, const PruneOptions& options) {
  if (std::find(options.keep.begin(), options.keep.end(), key.name) != options.keep.end()) {
    return false;
  }
  return now_seconds() - key.last_use >= options.in_use_s;
}

void remove_key(const fs::path& dir, const CacheKeyStats& key, PruneReport& report) {
  if (!remove_entry(dir, key.name)) return;
  ++report.keys_removed;
  report.bytes_removed += key.bytes;
  report.removed.push_back(key.name);
}

}  // namespace

CacheStats cache_stats(const fs::path& dir) {
  CacheStats stats;
  stats.dir = dir;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::string kind;
    std::error_code type_error;
    if (is_key_name(name, &kind) && it->is_directory(type_error)) {
      stats.keys.push_back(key_stats(it->path(), kind));
      stats.bytes += stats.keys.back().bytes;
      stats.records += stats.keys.back().records;
    } else if (is_first_format_file(name) || is_trash(name)) {
      ++stats.other_files;
      stats.other_bytes += tree_bytes(it->path());
    }
  }
  stats.bytes += stats.other_bytes;
  std::sort(stats.keys.begin(), stats.keys.end(),
            [](const CacheKeyStats& a, const CacheKeyStats& b) {
              return a.last_use != b.last_use ? a.last_use < b.last_use : a.name < b.name;
            });
  return stats;
}

ordered_json cache_stats_json(const CacheStats& stats) {
  ordered_json keys = ordered_json::array();
  // Per model (weights SHA-256) and kind, in order of first appearance (least recently used).
  std::map<std::string, ordered_json> models;
  std::vector<std::string> model_order;
  for (const CacheKeyStats& key : stats.keys) {
    keys.push_back({{"name", key.name},
                    {"kind", key.kind},
                    {"label", key.label},
                    {"weights_sha256", key.weights_sha256},
                    {"dtype", key.dtype},
                    {"device", key.device},
                    {"dim", key.dim},
                    {"shards", key.shards},
                    {"live_shards", key.live_shards},
                    {"records", key.records},
                    {"bytes", key.bytes},
                    {"last_use", utc_time(key.last_use)}});
    auto [it, inserted] = models.emplace(key.weights_sha256, ordered_json::object());
    ordered_json& model = it->second;
    if (inserted) {
      model_order.push_back(key.weights_sha256);
      model = {{"weights_sha256", key.weights_sha256},
               {"label", key.label},
               {"last_use", ""},
               {"kinds", ordered_json::object()}};
    }
    model["last_use"] = utc_time(key.last_use);  // keys come least recently used first
    ordered_json& kind = model["kinds"][key.kind];
    if (kind.is_null()) kind = {{"keys", 0}, {"records", 0}, {"bytes", 0}};
    kind["keys"] = kind["keys"].get<int64_t>() + 1;
    kind["records"] = kind["records"].get<int64_t>() + key.records;
    kind["bytes"] = kind["bytes"].get<int64_t>() + key.bytes;
  }
  ordered_json model_list = ordered_json::array();
  for (const auto& sha : model_order) model_list.push_back(models[sha]);
  return {{"dir", stats.dir.string()},
          {"keys", stats.keys.size()},
          {"records", stats.records},
          {"bytes", stats.bytes},
          {"other_files", stats.other_files},
          {"other_bytes", stats.other_bytes},
          {"models", model_list},
          {"keys_detail", keys}};
}

std::string cache_stats_text(const CacheStats& stats) {
  std::string text =
      fmt::format("embedding cache {}: {} keys, {} records, {}\n", stats.dir.string(),
                  stats.keys.size(), stats.records, format_byte_size(stats.bytes));
  if (stats.other_files > 0) {
    text += fmt::format(
        "  and {} files of an older cache format or interrupted removals ({}); "
        "`hc cache prune` removes them\n",
        stats.other_files, format_byte_size(stats.other_bytes));
  }
  if (stats.keys.empty()) return text;
  text += fmt::format("{:<6} {:<24} {:<14} {:<5} {:<6} {:>5} {:>10} {:>10} {:>7}  {}\n", "kind",
                      "model", "sha256", "dtype", "device", "dim", "records", "size", "shards",
                      "last use (UTC)");
  for (const CacheKeyStats& key : stats.keys) {
    const std::string shards = key.live_shards > 0
                                   ? fmt::format("{}+{}", key.shards, key.live_shards)
                                   : std::to_string(key.shards);
    text += fmt::format("{:<6} {:<24} {:<14} {:<5} {:<6} {:>5} {:>10} {:>10} {:>7}  {}\n", key.kind,
                        key.label.empty() ? "?" : key.label.substr(0, 24),
                        key.weights_sha256.substr(0, 12), key.dtype, key.device, key.dim,
                        key.records, format_byte_size(key.bytes), shards, utc_time(key.last_use));
  }
  return text;
}

PruneReport prune_cache(const fs::path& dir, const PruneOptions& options) {
  PruneReport report;
  if (options.remove_leftovers) {
    report.other_files_removed = remove_leftovers(dir, report.bytes_removed);
  }
  CacheStats stats = cache_stats(dir);
  if (options.older_than_days) {
    const double cutoff = now_seconds() - *options.older_than_days * 24 * 3600;
    for (const CacheKeyStats& key : stats.keys) {
      if (key.last_use < cutoff && removable(key, options)) remove_key(dir, key, report);
    }
  }
  if (options.compact) {
    for (const CacheKeyStats& key : stats.keys) {
      const fs::path folder = dir / key.name;
      if (std::find(report.removed.begin(), report.removed.end(), key.name) !=
          report.removed.end()) {
        continue;
      }
      remove_stale_temps(folder);
      CompactionOptions compaction;
      compaction.min_shards = 1;
      try {
        const CompactionResult result = compact_cache_key(folder, compaction);
        if (!result.compacted) continue;
        ++report.keys_compacted;
        report.bytes_saved_by_compaction += result.bytes_before - result.bytes_after;
      } catch (const std::exception& e) {
        spdlog::warn("embedding cache {}: compaction failed: {}", folder.string(), e.what());
      }
    }
  }
  stats = cache_stats(dir);
  int64_t total = stats.bytes;
  if (options.max_bytes > 0) {
    for (const CacheKeyStats& key : stats.keys) {  // least recently used first
      if (total <= options.max_bytes) break;
      if (!removable(key, options)) continue;
      const int64_t before = report.keys_removed;
      remove_key(dir, key, report);
      if (report.keys_removed > before) total -= key.bytes;
    }
    report.over_cap = total > options.max_bytes;
  }
  report.bytes_after = total;
  return report;
}

ordered_json prune_report_json(const PruneReport& report) {
  return {{"keys_removed", report.keys_removed},
          {"bytes_removed", report.bytes_removed},
          {"other_files_removed", report.other_files_removed},
          {"keys_compacted", report.keys_compacted},
          {"bytes_saved_by_compaction", report.bytes_saved_by_compaction},
          {"bytes_after", report.bytes_after},
          {"over_cap", report.over_cap},
          {"removed", report.removed}};
}

ClearReport clear_cache(const fs::path& dir, const std::string& model_sha256) {
  const bool is_sha256 =
      model_sha256.size() == 64 &&
      std::all_of(model_sha256.begin(), model_sha256.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
      });
  if (!model_sha256.empty() && !is_sha256) {
    throw usage_error(
        "--model-sha256: expected 64 lower-case hex digits (the sha256 hc inspect "
        "shows), got '{}'",
        model_sha256);
  }
  ClearReport report;
  if (model_sha256.empty()) {
    report.other_files_removed = remove_leftovers(dir, report.bytes_removed);
  }
  for (const CacheKeyStats& key : cache_stats(dir).keys) {
    if (!model_sha256.empty() && key.weights_sha256 != model_sha256) continue;
    if (!remove_entry(dir, key.name)) continue;
    ++report.keys_removed;
    report.bytes_removed += key.bytes;
  }
  return report;
}

ordered_json clear_report_json(const ClearReport& report) {
  return {{"keys_removed", report.keys_removed},
          {"bytes_removed", report.bytes_removed},
          {"other_files_removed", report.other_files_removed}};
}

}  // namespace hc
