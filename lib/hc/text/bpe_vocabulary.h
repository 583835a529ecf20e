#pragma once
// The two halves of a byte-level BPE model as files hold them: the token -> id map and the
// ranked merges. CLIP ships them in two forms with identical content:
//   * a checkpoint folder with vocab.json + merges.txt (Hugging Face; merges.txt starts with a
//     "#version" line);
//   * OpenAI's bpe_simple_vocab_16e6.txt.gz, which holds merges only (lines 1..48894 after a
//     header); the vocabulary is derived from them: the 256 byte characters, the same with
//     "</w>", every merge joined, then <|startoftext|> and <|endoftext|>.
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hc::text {

struct BpeVocabulary {
  std::string source;                                      // what was loaded, for messages
  std::unordered_map<std::string, int32_t> ids;            // token -> id
  std::vector<std::pair<std::string, std::string>> merges; // in rank order, lowest first
};

// Accepts a folder (vocab.json + merges.txt, else bpe_simple_vocab_16e6.txt.gz), a .gz merges
// file, or vocab.json / merges.txt (the other one is taken from beside it). Validates that
// every merge's parts and result are tokens, so encoding can never meet an unknown symbol;
// missing or corrupt files are an hc::Error naming the file, line or key.
BpeVocabulary load_bpe_vocabulary(const std::filesystem::path& dir_or_file);

}  // namespace hc::text
