#include "hc/text/word_cache.h"

#include <functional>
#include <mutex>

namespace hc::text {
namespace {

constexpr std::size_t kInitialSlots = 64;

}  // namespace

WordCache::WordCache(std::size_t max_words)
    : max_words_per_shard_(max_words / kShards > 0 ? max_words / kShards : 1) {}

uint64_t WordCache::hash_of(std::string_view word) {
  const uint64_t hash = std::hash<std::string_view>{}(word);
  return hash == 0 ? 1 : hash;
}

const WordCache::Slot* WordCache::Shard::find(uint64_t hash, std::string_view word) const {
  if (slots.empty()) return nullptr;
  const std::size_t mask = slots.size() - 1;
  // The low bits chose the shard, so probe with the high ones.
  for (std::size_t i = (hash >> 16) & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots[i];
    if (slot.hash == 0) return nullptr;
    if (slot.hash == hash && std::string_view(words).substr(slot.word_offset, slot.word_length) ==
                                 word) {
      return &slot;
    }
  }
}

void WordCache::Shard::grow() {
  std::vector<Slot> old = std::move(slots);
  slots.assign(old.empty() ? kInitialSlots : old.size() * 2, Slot{});
  const std::size_t mask = slots.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    std::size_t i = (slot.hash >> 16) & mask;
    while (slots[i].hash != 0) i = (i + 1) & mask;
    slots[i] = slot;
  }
}

void WordCache::Shard::insert(uint64_t hash, std::string_view word, const int32_t* word_ids,
                              std::size_t word_id_count) {
  if (find(hash, word)) return;  // another thread got there first
  if ((count + 1) * 2 > slots.size()) grow();
  const std::size_t mask = slots.size() - 1;
  std::size_t i = (hash >> 16) & mask;
  while (slots[i].hash != 0) i = (i + 1) & mask;
  slots[i] = Slot{hash, static_cast<uint32_t>(words.size()), static_cast<uint32_t>(word.size()),
                  static_cast<uint32_t>(ids.size()), static_cast<uint32_t>(word_id_count)};
  words.append(word);
  ids.insert(ids.end(), word_ids, word_ids + word_id_count);
  ++count;
}

void WordCache::Shard::reset() {
  slots.clear();
  words.clear();
  ids.clear();
  count = 0;
}

bool WordCache::find(std::string_view word, std::vector<int32_t>& ids) const {
  const uint64_t hash = hash_of(word);
  const Shard& shard = shards_[hash % kShards];
  std::shared_lock lock(shard.mutex);
  const Slot* slot = shard.find(hash, word);
  if (!slot) return false;
  const int32_t* first = shard.ids.data() + slot->ids_offset;
  ids.insert(ids.end(), first, first + slot->ids_count);
  return true;
}

void WordCache::insert(std::string_view word, const int32_t* ids, std::size_t count) {
  const uint64_t hash = hash_of(word);
  Shard& shard = shards_[hash % kShards];
  std::unique_lock lock(shard.mutex);
  // Arena offsets are 32-bit; a shard this full (or past its word bound) starts over.
  if (shard.count >= max_words_per_shard_ || shard.words.size() + word.size() > UINT32_MAX / 2 ||
      shard.ids.size() + count > UINT32_MAX / 2) {
    shard.reset();
  }
  shard.insert(hash, word, ids, count);
}

std::size_t WordCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mutex);
    total += shard.count;
  }
  return total;
}

void WordCache::clear() {
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mutex);
    shard.reset();
  }
}

}  // namespace hc::text
