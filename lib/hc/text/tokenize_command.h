#pragma once
// `hc tokenize`: texts in (lines or JSONL, see text_records.h), one JSON line out per text:
//   {"text": "...", "ids": [49406, ..., 49407]}
// in input order, non-ASCII written as-is. Ids are untruncated unless a context length is
// given, in which case they are cut as clip.tokenize does (or refused without truncation).
#include <string>

namespace hc {

struct TokenizeOptions {
  std::string vocab;         // checkpoint folder, vocab.json/merges.txt or the OpenAI .gz
  std::string model;         // or: the model whose tokenizer to use (folder, file, cached hub id)
  std::string input = "-";   // file, or "-" for stdin
  std::string output;        // file written atomically; empty or "-" for stdout
  int context_length = 0;    // 0: no context length
  bool truncate = true;
};

void run_tokenize(const TokenizeOptions& options);

}  // namespace hc
