#pragma once
// Pre-token -> BPE ids, shared by every thread that encodes with one tokenizer. Captions reuse
// a small set of words, so after warm-up almost every word is a lookup instead of a BPE run.
// Sharded read/write locks keep threads from queueing on one mutex; each shard is cleared when
// it outgrows its share of the bound, so memory stays bounded on endless distinct input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hc::text {

class WordCache {
 public:
  explicit WordCache(std::size_t max_words = std::size_t{1} << 20);

  // Appends the cached ids of word to ids and returns true, or returns false when unknown.
  bool find(std::string_view word, std::vector<int32_t>& ids) const;
  void insert(std::string_view word, const int32_t* ids, std::size_t count);

  std::size_t size() const;
  void clear();

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> words;
  };
  Shard& shard_for(std::string_view word) const;

  std::size_t max_words_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace hc::text
