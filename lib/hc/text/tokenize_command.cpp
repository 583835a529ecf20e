#include "hc/text/tokenize_command.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

#include "hc/core/atomic_file.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/thread_pool.h"
#include "hc/core/tool.h"
#include "hc/hub/model_source.h"
#include "hc/text/clip_tokenizer.h"
#include "hc/text/parallel_encode.h"
#include "hc/text/text_records.h"

namespace hc {
namespace {

// Key order and spacing as Python's json.dumps({"text": ..., "ids": ...}, ensure_ascii=False).
void write_record(std::ostream& out, const std::string& text, const std::vector<int32_t>& ids) {
  out << "{\"text\": " << nlohmann::json(text).dump() << ", \"ids\": [";
  for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? ", " : "") << ids[i];
  out << "]}\n";
}

void write_all(std::ostream& out, const TextRecords& records,
               const std::vector<std::vector<int32_t>>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) write_record(out, records.texts[i], ids[i]);
}

// The tokenizer files to load: --vocab as given, else the folder of --model (a weights file's
// folder holds its tokenizer files too).
std::filesystem::path vocabulary_location(const TokenizeOptions& options) {
  if (!options.vocab.empty() && !options.model.empty()) {
    throw usage_error("hc tokenize: give either --vocab or --model, not both");
  }
  if (!options.vocab.empty()) return options.vocab;
  if (options.model.empty()) {
    throw usage_error("hc tokenize: --vocab (a checkpoint folder, vocab.json or "
                      "bpe_simple_vocab_16e6.txt.gz) or --model is required");
  }
  const hub::ModelSource source = hub::resolve_model_source(options.model);
  return source.kind == hub::ModelSource::Kind::File ? source.path.parent_path() : source.path;
}

}  // namespace

void TokenizeOptions::declare(ConfigSchema& schema) {
  schema.add("tokenize.input", input, "text file (one per line, or .jsonl), or - for stdin")
      .flag("input");
  schema.add("tokenize.vocab", vocab,
             "checkpoint folder (vocab.json + merges.txt), vocab.json, or "
             "bpe_simple_vocab_16e6.txt.gz")
      .relative_to_config()
      .flag("--vocab");
  schema.add("tokenize.model", model,
             "or the tokenizer of this model: checkpoint folder, weights file or cached hub id")
      .relative_to_config()
      .flag("--model");
  schema.add("tokenize.context_length", context_length,
             "cut ids to N tokens, end token kept (0 = no limit)")
      .check_non_negative()
      .flag("--context-length");
  schema.add("tokenize.truncate", truncate,
             "with a context length: cut a longer text (false: it is an error)")
      .flag_value("--no-truncate", "false");
}

void run_tokenize(const TokenizeOptions& options, RunContext& context, RunResult& result) {
  const std::filesystem::path vocabulary = vocabulary_location(options);
  if (!options.truncate && options.context_length == 0) {
    throw usage_error("hc tokenize: tokenize.truncate=false (--no-truncate) needs a context "
                      "length (--context-length)");
  }
  const auto start = std::chrono::steady_clock::now();
  const ClipTokenizer tokenizer = ClipTokenizer::load(vocabulary);
  const TextRecords records = read_text_records(options.input);

  ThreadPool pool(static_cast<std::size_t>(context.threads()));
  std::vector<std::vector<int32_t>> ids = encode_all(tokenizer, records.texts, pool);
  if (options.context_length > 0) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      ids[i] = fit_to_context(std::move(ids[i]), options.context_length, options.truncate,
                              tokenizer.eos_id(), records.where(i));
    }
  }

  const std::string& output = context.output;
  if (output.empty() || output == "-") {
    write_all(std::cout, records, ids);
    std::cout.flush();
    if (!std::cout) throw runtime_error("hc tokenize: writing to stdout failed");
  } else {
    AtomicFile file(output);
    write_all(file.stream(), records, ids);
    file.commit();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  spdlog::info("tokenized {} texts from {} in {:.2f} s on {} threads", ids.size(),
               records.source, elapsed.count(), pool.size());
  result.metrics()["texts"] = ids.size();
  result.set("input", records.source);
  result.set("vocabulary", vocabulary.string());
}

}  // namespace hc
