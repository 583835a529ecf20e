#pragma once
// The tokenizer files of a Hugging Face CLIP checkpoint folder (vocab.json, merges.txt,
// tokenizer_config.json, special_tokens_map.json): finding a vocabulary when a checkpoint has
// none, and writing them. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>

namespace hc {

// Whether dir holds vocab.json and merges.txt.
bool has_tokenizer_files(const std::filesystem::path& dir);

// The vocabulary to use: `given` when not empty, else $HC_VOCAB, else an empty path.
std::filesystem::path vocabulary_or_environment(const std::filesystem::path& given);

// Completes "… give a vocabulary: …" in errors: what to pass and where to get it.
std::string vocabulary_hint();

// Writes vocab.json and merges.txt into dir from `vocabulary`: copied as they are from a folder
// holding both (or from one of the two files, its partner beside it), else written in Hugging
// Face's form from OpenAI's bpe_simple_vocab_16e6.txt.gz (vocab.json: the 256 byte characters,
// the same with "</w>", each merge joined, <|startoftext|>, <|endoftext|>; merges.txt:
// "#version: 0.2" and the 48894 merges CLIP uses). Also writes tokenizer_config.json and
// special_tokens_map.json (CLIPTokenizer, model_max_length = context_length). Then loads the
// written files back and checks they hold the same vocabulary and merges as the source and
// tokenize sample texts identically; a difference is an hc::Error.
void write_tokenizer_files(const std::filesystem::path& vocabulary, const std::filesystem::path& dir,
                           int64_t context_length = 77);

}  // namespace hc
