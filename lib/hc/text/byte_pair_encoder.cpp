#include "hc/text/byte_pair_encoder.h"


#include "hc/core/error.h"
#include "hc/text/byte_level.h"
#include "hc/text/utf8.h"

namespace hc::text {
namespace {

int32_t token_id(const BpeVocabulary& vocabulary, const std::string& token) {
  auto found = vocabulary.ids.find(token);
  if (found == vocabulary.ids.end()) {
    throw runtime_error("{}: the byte token '{}' is missing from the vocabulary",
                        vocabulary.source, token);
  }
  return found->second;
}

}  // namespace

BytePairEncoder::BytePairEncoder(const BpeVocabulary& vocabulary) {
  for (int b = 0; b < 256; ++b) {
    std::string token;
    append_utf8(byte_to_char(static_cast<uint8_t>(b)), token);
    byte_ids_[b] = token_id(vocabulary, token);
    end_byte_ids_[b] = token_id(vocabulary, token + "</w>");
  }
  merges_.reserve(vocabulary.merges.size() * 2);
  for (std::size_t rank = 0; rank < vocabulary.merges.size(); ++rank) {
    const auto& [left, right] = vocabulary.merges[rank];
    const uint64_t key = pair_key(vocabulary.ids.at(left), vocabulary.ids.at(right));
    // A pair listed twice keeps its last rank, as Python's dict(zip(merges, range(...))) does.
    merges_[key] = Merge{static_cast<int32_t>(rank), vocabulary.ids.at(left + right)};
  }
}

const BytePairEncoder::Merge* BytePairEncoder::find_merge(int32_t left, int32_t right) const {
  auto found = merges_.find(pair_key(left, right));
  return found == merges_.end() ? nullptr : &found->second;
}

void BytePairEncoder::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (std::size_t i = 0; i + 1 < word.size(); ++i) {
    symbols.push_back(byte_ids_[static_cast<uint8_t>(word[i])]);
  }
  symbols.push_back(end_byte_ids_[static_cast<uint8_t>(word.back())]);

  std::vector<int32_t> merged;
  merged.reserve(symbols.size());
  while (symbols.size() > 1) {
    const Merge* best = nullptr;
    int32_t best_left = 0;
    int32_t best_right = 0;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      const Merge* merge = find_merge(symbols[i], symbols[i + 1]);
      if (merge && (!best || merge->rank < best->rank)) {
        best = merge;
        best_left = symbols[i];
        best_right = symbols[i + 1];
      }
    }
    if (!best) break;
    merged.clear();
    for (std::size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == best_left && symbols[i + 1] == best_right) {
        merged.push_back(best->merged);
        i += 2;
      } else {
        merged.push_back(symbols[i]);
        i += 1;
      }
    }
    symbols.swap(merged);
  }
  ids.insert(ids.end(), symbols.begin(), symbols.end());
}

}  // namespace hc::text
