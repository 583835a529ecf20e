// hc cache stats / prune / clear through the library, and the size cap the cache applies after
// writing: least recently used keys go first, the key in use never.
#include "cache_test_util.h"

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/embed/cache_admin.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using namespace hc::test;

constexpr int64_t kDim = 4;
const std::string kModelA(64, 'a');
const std::string kModelB(64, 'b');

std::string settings(const std::string& sha, const std::string& extra = "") {
  return nlohmann::json{
      {"weights_sha256", sha}, {"dtype", "fp32"}, {"device", "cpu"}, {"extra", extra}}
      .dump();
}

// A key with `items` entries written by one cache object (closed), aged `age_days`.
fs::path make_key(const fs::path& dir, const std::string& kind, const std::string& sha,
                  const std::string& extra, int64_t items, double age_days) {
  hc::EmbeddingCacheOptions options;
  options.label = "model-" + sha.substr(0, 1);
  hc::EmbeddingCache cache(dir, kind, settings(sha, extra), kDim, options);
  add_items(cache, 0, items, kDim);
  cache.close();
  age_key(cache.folder(), age_days * 24 * 3600);
  return cache.folder();
}

hc::PruneOptions no_compaction() {
  hc::PruneOptions options;
  options.compact = false;
  return options;
}

}  // namespace

TEST_CASE("cache_stats counts keys, records and bytes per model and kind", "[embed][cache]") {
  TempDir dir;
  const fs::path a_text = make_key(dir.path(), "text", kModelA, "", 30, 3);
  make_key(dir.path(), "image", kModelA, "", 10, 2);
  make_key(dir.path(), "text", kModelB, "", 5, 1);
  write_bytes(dir / ("text-" + std::string(32, 'c') + ".safetensors"), "first format");
  write_bytes(dir / "notes.txt", "not the cache's");

  const hc::CacheStats stats = hc::cache_stats(dir.path());
  REQUIRE(stats.keys.size() == 3);
  CHECK(stats.records == 45);
  CHECK(stats.other_files == 1);
  CHECK(stats.other_bytes == 12);
  CHECK(stats.keys[0].name == a_text.filename().string());  // least recently used first
  CHECK(stats.keys[0].kind == "text");
  CHECK(stats.keys[0].label == "model-a");
  CHECK(stats.keys[0].weights_sha256 == kModelA);
  CHECK(stats.keys[0].dim == kDim);
  CHECK(stats.keys[0].shards == 1);
  CHECK(stats.keys[0].records == 30);
  int64_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(a_text)) bytes += fs::file_size(entry.path());
  CHECK(stats.keys[0].bytes == bytes);
  CHECK(stats.keys[0].bytes > hc::kShardHeaderBytes + 30 * hc::shard_record_bytes(kDim));

  const auto json = hc::cache_stats_json(stats);
  CHECK(json["keys"] == 3);
  CHECK(json["records"] == 45);
  REQUIRE(json["models"].size() == 2);
  CHECK(json["models"][0]["weights_sha256"] == kModelA);
  CHECK(json["models"][0]["kinds"]["text"]["records"] == 30);
  CHECK(json["models"][0]["kinds"]["image"]["records"] == 10);
  CHECK(json["models"][1]["kinds"]["text"]["keys"] == 1);
  CHECK(json["keys_detail"][0]["last_use"].get<std::string>().size() == 20);
  CHECK(hc::cache_stats_text(stats).find("model-a") != std::string::npos);

  CHECK(hc::cache_stats(dir / "missing").keys.empty());
}

TEST_CASE("Pruning to a cap removes least recently used keys first, never kept or busy ones",
          "[embed][cache]") {
  TempDir dir;
  const fs::path oldest = make_key(dir.path(), "text", kModelA, "1", 20, 30);
  const fs::path middle = make_key(dir.path(), "text", kModelA, "2", 20, 20);
  const fs::path newest = make_key(dir.path(), "text", kModelA, "3", 20, 10);
  const int64_t key_bytes = hc::cache_stats(dir.path()).keys[0].bytes;

  hc::PruneOptions options = no_compaction();
  options.max_bytes = 2 * key_bytes;
  hc::PruneReport report = hc::prune_cache(dir.path(), options);
  CHECK(report.removed == std::vector<std::string>{oldest.filename().string()});
  CHECK(report.bytes_after == 2 * key_bytes);
  CHECK_FALSE(report.over_cap);
  CHECK_FALSE(fs::exists(oldest));

  // Using a key moves it to the back of the line.
  hc::EmbeddingCache use(dir.path(), "text", settings(kModelA, "2"), kDim);
  CHECK(found_items(use, 0, 20, kDim) == 20);
  options.max_bytes = key_bytes;
  options.in_use_s = 0;
  report = hc::prune_cache(dir.path(), options);
  CHECK(report.removed == std::vector<std::string>{newest.filename().string()});
  CHECK(fs::exists(middle));

  // The key in use is kept even over the cap; so is one used in the last in_use_s seconds.
  options.max_bytes = 1;
  options.keep = {middle.filename().string()};
  report = hc::prune_cache(dir.path(), options);
  CHECK(report.keys_removed == 0);
  CHECK(report.over_cap);
  options.keep.clear();
  options.in_use_s = 600;
  CHECK(hc::prune_cache(dir.path(), options).keys_removed == 0);
  options.in_use_s = 0;
  CHECK(hc::prune_cache(dir.path(), options).keys_removed == 1);
  CHECK(hc::cache_stats(dir.path()).keys.empty());
}

TEST_CASE("Pruning by age, compaction that keeps the LRU order, and leftovers", "[embed][cache]") {
  TempDir dir;
  const fs::path stale = make_key(dir.path(), "text", kModelA, "stale", 10, 40);
  const fs::path recent = make_key(dir.path(), "text", kModelA, "recent", 10, 5);
  // Two more shards of the recent key, one repeating items.
  for (int64_t begin : {10, 5}) {
    hc::EmbeddingCache more(dir.path(), "text", settings(kModelA, "recent"), kDim);
    add_items(more, begin, begin + 10, kDim);
  }
  age_key(recent, 5 * 24 * 3600);
  const double last_use = hc::cache_stats(dir.path()).keys[1].last_use;
  write_bytes(dir / ("image-" + std::string(32, 'd') + ".safetensors.lock"), "");
  write_bytes(dir / "keep-me.txt", "not the cache's");

  hc::PruneOptions options;
  options.older_than_days = 30;
  const hc::PruneReport report = hc::prune_cache(dir.path(), options);
  CHECK(report.removed == std::vector<std::string>{stale.filename().string()});
  CHECK(report.other_files_removed == 1);
  CHECK(report.keys_compacted == 1);
  CHECK(report.bytes_saved_by_compaction > 0);
  CHECK(fs::exists(dir / "keep-me.txt"));

  const hc::CacheStats after = hc::cache_stats(dir.path());
  REQUIRE(after.keys.size() == 1);
  CHECK(after.keys[0].shards == 1);
  CHECK(after.keys[0].records == 20);  // duplicates merged
  CHECK(after.keys[0].last_use == Approx(last_use).margin(1.0));
  hc::EmbeddingCache reader(dir.path(), "text", settings(kModelA, "recent"), kDim);
  CHECK(found_items(reader, 0, 20, kDim) == 20);
}

TEST_CASE("clear_cache removes everything the cache made, or one model's keys", "[embed][cache]") {
  TempDir dir;
  make_key(dir.path(), "text", kModelA, "", 5, 1);
  make_key(dir.path(), "image", kModelA, "", 5, 1);
  const fs::path b = make_key(dir.path(), "text", kModelB, "", 5, 1);
  write_bytes(dir / ("text-" + std::string(32, 'e') + ".safetensors"), "first format");
  write_bytes(dir / "keep-me.txt", "not the cache's");

  CHECK_THROWS_AS(hc::clear_cache(dir.path(), "abc"), hc::Error);
  hc::ClearReport report = hc::clear_cache(dir.path(), kModelA);
  CHECK(report.keys_removed == 2);
  CHECK(report.other_files_removed == 0);
  REQUIRE(hc::cache_stats(dir.path()).keys.size() == 1);
  CHECK(fs::exists(b));

  report = hc::clear_cache(dir.path());
  CHECK(report.keys_removed == 1);
  CHECK(report.other_files_removed == 1);
  CHECK(hc::cache_stats(dir.path()).keys.empty());
  CHECK(fs::exists(dir / "keep-me.txt"));
  std::size_t left = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    (void)entry;
    ++left;
  }
  CHECK(left == 1);
}

TEST_CASE("A cache over its cap removes other keys when it closes, never its own",
          "[embed][cache]") {
  TempDir dir;
  const fs::path old_key = make_key(dir.path(), "text", kModelA, "old", 50, 30);
  const fs::path older_key = make_key(dir.path(), "text", kModelA, "older", 50, 40);
  hc::EmbeddingCacheOptions options;
  options.max_bytes = 1;  // smaller than any key
  options.in_use_s = 60;
  hc::EmbeddingCache cache(dir.path(), "text", settings(kModelB), kDim, options);
  add_items(cache, 0, 10, kDim);
  cache.close();
  CHECK_FALSE(fs::exists(old_key));
  CHECK_FALSE(fs::exists(older_key));
  CHECK(found_items(cache, 0, 10, kDim) == 10);

  // No cap: nothing removed.
  const fs::path other = make_key(dir.path(), "text", kModelA, "other", 50, 30);
  hc::EmbeddingCache uncapped(dir.path(), "image", settings(kModelB), kDim);
  add_items(uncapped, 0, 10, kDim);
  uncapped.close();
  CHECK(fs::exists(other));
}
