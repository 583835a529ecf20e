#pragma once
// Pre-token -> BPE ids, shared by every thread that encodes with one tokenizer. Captions reuse
// a small set of words, so after warm-up almost every word is a lookup instead of a BPE run,
// and the lookup itself is the hot path: each shard is a flat open-addressing table (no node
// allocations, no division per probe) over two arenas, behind a read/write lock so that
// threads only contend when they insert into the same shard. A shard that outgrows its share
// of the bound is emptied, so memory stays bounded on endless distinct input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
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

  // One cached word: where its bytes and ids sit in the shard's arenas. hash == 0 marks an
  // empty slot (real hashes are forced non-zero).
  struct Slot {
    uint64_t hash = 0;
    uint32_t word_offset = 0;
    uint32_t word_length = 0;
    uint32_t ids_offset = 0;
    uint32_t ids_count = 0;
  };

  struct Shard {
    mutable std::shared_mutex mutex;
    std::vector<Slot> slots;  // power-of-two size, at most half full
    std::string words;        // the bytes of every cached word, back to back
    std::vector<int32_t> ids; // the ids of every cached word, back to back
    std::size_t count = 0;

    const Slot* find(uint64_t hash, std::string_view word) const;
    void insert(uint64_t hash, std::string_view word, const int32_t* ids, std::size_t count);
    void grow();
    void reset();
  };

  static uint64_t hash_of(std::string_view word);

  std::size_t max_words_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace hc::text
