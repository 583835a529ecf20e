#pragma once
// CLIP's byte-level BPE tokenizer, id for id what OpenAI's clip/simple_tokenizer.py produces
// (and what Hugging Face CLIP checkpoints were trained with): see clip_text_cleaner.h for the
// text cleaning, clip_pretokenizer.h for the split into words and byte_pair_encoder.h for BPE.
// Thread-safe: one tokenizer may encode from several threads at once; copies share the
// vocabulary and the word cache.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hc {

// Token ids of several texts laid out for a text encoder: rows x length, row-major.
struct TokenBatch {
  int64_t rows = 0;
  int64_t length = 0;                   // the context length
  std::vector<int64_t> ids;             // padded with the pad id
  std::vector<int64_t> attention_mask;  // 1 on real tokens, 0 on padding
  std::vector<int64_t> eot_index;       // per row: position of the first end-of-text token
  std::vector<int64_t> lengths;         // per row: number of real tokens
};

class ClipTokenizer {
 public:
  // A checkpoint folder (vocab.json + merges.txt), OpenAI's bpe_simple_vocab_16e6.txt.gz, or
  // vocab.json / merges.txt themselves. Missing or corrupt files are an hc::Error.
  static ClipTokenizer load(const std::filesystem::path& dir_or_file);

  // The BPE ids of text, without start/end tokens. Text must be UTF-8.
  std::vector<int32_t> encode(std::string_view text) const;
  // [start] + encode(text) + [end], not truncated.
  std::vector<int32_t> encode_with_specials(std::string_view text) const;
  // Text back from ids (simple_tokenizer.decode): "</w>" becomes a space, special tokens stay
  // as their strings, broken UTF-8 becomes U+FFFD. An unknown id is an hc::Error.
  std::string decode(const std::vector<int32_t>& ids) const;

  int32_t bos_id() const;
  int32_t eos_id() const;
  int32_t vocab_size() const;

  // clip.tokenize(): each row is [start] + ids + [end] padded with pad_id to context_length.
  // A longer row is cut to context_length with the end token kept last when truncate is set,
  // and is an hc::Error naming the text's index and length otherwise.
  TokenBatch batch(const std::vector<std::string>& texts, int context_length = 77,
                   bool truncate = true, int32_t pad_id = 0) const;

  // Words remembered by the shared cache (for benchmarks and tests), and forgetting them.
  std::size_t cached_words() const;
  void clear_cache() const;

 private:
  struct State;
  explicit ClipTokenizer(std::shared_ptr<const State> state);
  std::shared_ptr<const State> state_;
};

// [start] + ids + [end] fitted to context_length as clip.tokenize(truncate=...) does: a longer
// sequence is cut with end kept as its last token, or is an hc::Error naming `what` (the text's
// index or file and line) and its length.
std::vector<int32_t> fit_to_context(std::vector<int32_t> ids_with_specials, int context_length,
                                    bool truncate, int32_t eos_id, std::string_view what);

}  // namespace hc
