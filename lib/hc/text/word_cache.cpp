#include "hc/text/word_cache.h"

#include <functional>
#include <mutex>

namespace hc::text {

WordCache::WordCache(std::size_t max_words)
    : max_words_per_shard_(max_words / kShards > 0 ? max_words / kShards : 1) {}

WordCache::Shard& WordCache::shard_for(std::string_view word) const {
  // The high bits pick the shard; the map inside uses the whole hash for its buckets.
  const std::size_t hash = std::hash<std::string_view>{}(word);
  return shards_[(hash >> 7) % kShards];
}

bool WordCache::find(std::string_view word, std::vector<int32_t>& ids) const {
  Shard& shard = shard_for(word);
  std::shared_lock lock(shard.mutex);
  auto found = shard.words.find(std::string(word));
  if (found == shard.words.end()) return false;
  ids.insert(ids.end(), found->second.begin(), found->second.end());
  return true;
}

void WordCache::insert(std::string_view word, const int32_t* ids, std::size_t count) {
  Shard& shard = shard_for(word);
  std::unique_lock lock(shard.mutex);
  if (shard.words.size() >= max_words_per_shard_) shard.words.clear();
  shard.words.emplace(std::string(word), std::vector<int32_t>(ids, ids + count));
}

std::size_t WordCache::size() const {
  std::size_t total = 0;
  for (Shard& shard : shards_) {
    std::shared_lock lock(shard.mutex);
    total += shard.words.size();
  }
  return total;
}

void WordCache::clear() {
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mutex);
    shard.words.clear();
  }
}

}  // namespace hc::text
