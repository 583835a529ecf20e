// hc tokenize: texts -> CLIP BPE ids, one JSON line per text (the work is hc::run_tokenize).
#include <CLI/CLI.hpp>

#include <memory>

#include "commands.h"
#include "hc/core/cli.h"
#include "hc/text/tokenize_command.h"

namespace hc::commands {
namespace {

struct TokenizeCommand {
  CommonOptions common;
  TokenizeOptions tokenize;
  bool no_truncate = false;
};

void run(TokenizeCommand& command) {
  apply_common_options(command.common);
  command.tokenize.output = command.common.output;
  command.tokenize.truncate = !command.no_truncate;
  run_tokenize(command.tokenize);
}

}  // namespace

void add_tokenize(CLI::App& app) {
  auto command = std::make_shared<TokenizeCommand>();
  CLI::App* sub = app.add_subcommand(
      "tokenize",
      "Tokenize texts with CLIP's BPE (ids identical to OpenAI's simple_tokenizer) and write "
      "one JSON line {\"text\": ..., \"ids\": [...]} per text, in input order.\n"
      "Input: one text per line, or JSON lines with a \"text\" field when the file ends in "
      ".jsonl.\n"
      "Example: hc tokenize --vocab ../shared/data/clip-tokenizer captions.txt");
  sub->add_option("input", command->tokenize.input, "Text file, or - for stdin")
      ->capture_default_str();
  sub->add_option("--vocab", command->tokenize.vocab,
                  "Checkpoint folder (vocab.json + merges.txt), vocab.json, or "
                  "bpe_simple_vocab_16e6.txt.gz");
  sub->add_option("--model", command->tokenize.model,
                  "Or the tokenizer of this model: checkpoint folder, weights file or cached hub id");
  auto* context = sub->add_option("--context-length", command->tokenize.context_length,
                                  "Cut ids to N tokens, end token kept (default: no limit)")
                      ->check(CLI::PositiveNumber);
  sub->add_flag("--no-truncate", command->no_truncate,
                "With --context-length: a longer text is an error instead of being cut")
      ->needs(context);
  add_common_options(*sub, command->common, hc::CommonOptionSet{false, false, true});
  sub->callback([command] { run(*command); });
}

}  // namespace hc::commands
