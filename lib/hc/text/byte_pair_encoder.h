#pragma once
// Byte-level BPE on one pre-token, exactly as simple_tokenizer.bpe(): the word's UTF-8 bytes
// become byte characters, the last one carrying "</w>"; then, repeatedly, the adjacent pair
// with the lowest merge rank is merged everywhere (left to right, non-overlapping) until no
// ranked pair is left. Symbols are token ids throughout, so the result needs no lookup.
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hc/text/bpe_vocabulary.h"

namespace hc::text {

class BytePairEncoder {
 public:
  // The vocabulary must have passed load_bpe_vocabulary's checks.
  explicit BytePairEncoder(const BpeVocabulary& vocabulary);

  // Appends the ids of word (non-empty UTF-8 bytes) to ids.
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  const Merge* find_merge(int32_t left, int32_t right) const;

  std::array<int32_t, 256> byte_ids_{};      // a byte inside a word
  std::array<int32_t, 256> end_byte_ids_{};  // the last byte of a word ("</w>" form)
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace hc::text
