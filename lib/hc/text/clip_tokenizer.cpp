#include "hc/text/clip_tokenizer.h"

#include <algorithm>
#include <optional>

#include "hc/core/error.h"
#include "hc/text/bpe_vocabulary.h"
#include "hc/text/byte_level.h"
#include "hc/text/byte_pair_encoder.h"
#include "hc/text/clip_pretokenizer.h"
#include "hc/text/clip_text_cleaner.h"
#include "hc/text/utf8.h"
#include "hc/text/word_cache.h"

namespace hc {
namespace {

constexpr std::string_view kStartOfText = "<|startoftext|>";
constexpr std::string_view kEndOfText = "<|endoftext|>";
constexpr std::string_view kEndOfWord = "</w>";

// The bytes a token stands for: each of its characters is a byte's stand-in (byte_level.h).
std::string token_bytes(const std::string& token, int32_t id, const std::string& source) {
  std::string bytes;
  for (char32_t c : text::decode_utf8(token, source)) {
    auto byte = text::char_to_byte(c);
    if (!byte) {
      throw runtime_error("{}: token '{}' (id {}) is not byte-level BPE text", source, token, id);
    }
    bytes.push_back(static_cast<char>(*byte));
  }
  return bytes;
}

// id -> bytes, for decode(); ids missing from the vocabulary stay absent.
std::vector<std::optional<std::string>> decode_table(const text::BpeVocabulary& vocabulary) {
  int32_t max_id = 0;
  for (const auto& entry : vocabulary.ids) max_id = std::max(max_id, entry.second);
  std::vector<std::optional<std::string>> table(static_cast<std::size_t>(max_id) + 1);
  std::vector<const std::string*> owner(table.size(), nullptr);
  for (const auto& [token, id] : vocabulary.ids) {
    if (owner[id]) {
      throw runtime_error("{}: id {} is used by two tokens, '{}' and '{}'", vocabulary.source, id,
                          *owner[id], token);
    }
    owner[id] = &token;
    table[id] = token_bytes(token, id, vocabulary.source);
  }
  return table;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

struct ClipTokenizer::State {
  explicit State(const text::BpeVocabulary& vocabulary)
      : encoder(vocabulary),
        decoder(decode_table(vocabulary)),
        bos(vocabulary.ids.at(std::string(kStartOfText))),
        eos(vocabulary.ids.at(std::string(kEndOfText))) {}

  // One pre-token: the special-token strings map straight to their ids (simple_tokenizer
  // seeds its cache with them, so only the exact strings do), everything else goes through
  // the cache and BPE.
  void encode_piece(std::string_view piece, std::vector<int32_t>& ids) const {
    if (piece == kStartOfText) {
      ids.push_back(bos);
    } else if (piece == kEndOfText) {
      ids.push_back(eos);
    } else if (!cache.find(piece, ids)) {
      const std::size_t before = ids.size();
      encoder.encode_word(piece, ids);
      cache.insert(piece, ids.data() + before, ids.size() - before);
    }
  }

  // Appends the ids of text; `what` names it in the error for invalid UTF-8.
  void encode_into(std::string_view text, std::string_view what, std::vector<int32_t>& ids) const {
    const std::string cleaned = text::clean_clip_text(text, what);
    ids.reserve(ids.size() + cleaned.size() / 4 + 4);
    pretokenizer.split(cleaned, [&](std::string_view piece) { encode_piece(piece, ids); });
  }

  text::BytePairEncoder encoder;
  text::ClipPretokenizer pretokenizer;
  std::vector<std::optional<std::string>> decoder;
  int32_t bos;
  int32_t eos;
  mutable text::WordCache cache;
};

ClipTokenizer::ClipTokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}

ClipTokenizer ClipTokenizer::load(const std::filesystem::path& dir_or_file) {
  const text::BpeVocabulary vocabulary = text::load_bpe_vocabulary(dir_or_file);
  return ClipTokenizer(std::make_shared<const State>(vocabulary));
}

std::vector<int32_t> ClipTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  state_->encode_into(text, "text", ids);
  return ids;
}

std::vector<int32_t> ClipTokenizer::encode_with_specials(std::string_view text) const {
  std::vector<int32_t> ids{state_->bos};
  state_->encode_into(text, "text", ids);
  ids.push_back(state_->eos);
  return ids;
}

std::string ClipTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string bytes;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (id < 0 || static_cast<std::size_t>(id) >= state_->decoder.size() ||
        !state_->decoder[id]) {
      throw runtime_error("cannot decode token {} of {}: id {} is not in the vocabulary (0..{})",
                          i, ids.size(), id, state_->decoder.size() - 1);
    }
    bytes += *state_->decoder[id];
  }
  // "</w>" is ASCII and never part of a multi-byte sequence, so replacing it before repairing
  // the UTF-8 gives what Python gets by replacing after decoding.
  return text::repair_utf8(replace_all(std::move(bytes), kEndOfWord, " "));
}

int32_t ClipTokenizer::bos_id() const { return state_->bos; }
int32_t ClipTokenizer::eos_id() const { return state_->eos; }
int32_t ClipTokenizer::vocab_size() const { return static_cast<int32_t>(state_->decoder.size()); }

std::size_t ClipTokenizer::cached_words() const { return state_->cache.size(); }
void ClipTokenizer::clear_cache() const { state_->cache.clear(); }

std::vector<int32_t> fit_to_context(std::vector<int32_t> ids, int context_length, bool truncate,
                                    int32_t eos_id, std::string_view what) {
  if (context_length < 1) {
    throw usage_error("context length must be at least 1, got {}", context_length);
  }
  const auto limit = static_cast<std::size_t>(context_length);
  if (ids.size() <= limit) return ids;
  if (!truncate) {
    throw runtime_error("{} has {} tokens, more than the context length {} (truncation is off)",
                        what, ids.size(), context_length);
  }
  ids.resize(limit);
  ids.back() = eos_id;
  return ids;
}

TokenBatch ClipTokenizer::batch(const std::vector<std::string>& texts, int context_length,
                                bool truncate, int32_t pad_id) const {
  if (context_length < 1) {
    throw usage_error("context length must be at least 1, got {}", context_length);
  }
  TokenBatch batch;
  batch.rows = static_cast<int64_t>(texts.size());
  batch.length = context_length;
  batch.ids.assign(texts.size() * context_length, pad_id);
  batch.attention_mask.assign(texts.size() * context_length, 0);
  batch.eot_index.resize(texts.size());
  batch.lengths.resize(texts.size());
  for (std::size_t row = 0; row < texts.size(); ++row) {
    const std::string what = fmt::format("text {}", row);
    std::vector<int32_t> ids{bos_id()};
    state_->encode_into(texts[row], what, ids);
    ids.push_back(eos_id());
    ids = fit_to_context(std::move(ids), context_length, truncate, eos_id(), what);
    const std::size_t offset = row * context_length;
    std::copy(ids.begin(), ids.end(), batch.ids.begin() + offset);
    std::fill_n(batch.attention_mask.begin() + offset, ids.size(), 1);
    batch.eot_index[row] = std::find(ids.begin(), ids.end(), eos_id()) - ids.begin();
    batch.lengths[row] = static_cast<int64_t>(ids.size());
  }
  return batch;
}

}  // namespace hc
