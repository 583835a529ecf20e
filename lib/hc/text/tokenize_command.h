#pragma once
// `hc tokenize`: texts in (lines or JSONL, see text_records.h), one JSON line out per text:
//   {"text": "...", "ids": [49406, ..., 49407]}
// in input order, non-ASCII written as-is. Ids are untruncated unless a context length is
// given, in which case they are cut as clip.tokenize does (or refused without truncation).
#include <string>

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct TokenizeOptions {
  std::string vocab;         // tokenize.vocab: checkpoint folder, vocab.json/merges.txt or the .gz
  std::string model;         // tokenize.model: or the model whose tokenizer to use
  std::string input = "-";   // tokenize.input: file, or "-" for stdin (positional)
  int context_length = 0;    // tokenize.context_length: 0 = no context length
  bool truncate = true;      // tokenize.truncate: false = a longer text is an error

  void declare(ConfigSchema& schema);
};

// Writes the JSON lines to context.output (atomically; empty or "-" = stdout) on
// context.threads() workers.
void run_tokenize(const TokenizeOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
