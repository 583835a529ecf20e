// hc-eval-hyperlex: graded lexical entailment (HyperLex) with the Radial Embedding geometry.
// The work is hc::run_hyperlex_command (lib/hc/eval/hyperlex_command.h).
#include <CLI/CLI.hpp>

#include "hc/core/cli.h"
#include "hc/core/config.h"
#include "hc/eval/hyperlex_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "hc-eval-hyperlex: Spearman's rho between HyperLex gold ratings and the Radial Embedding "
      "score -Xi(e(WORD2), e(WORD1)) (each word embedded once in a prompt; root = the embedding "
      "of \"\" by default), over all pairs, nouns and verbs, with per-relation means and the "
      "cosine and genericness baselines.\n"
      "Example: hc-eval-hyperlex --config configs/eval/hyperlex.yaml "
      "--model openai/clip-vit-base-patch32 -o hyperlex.json\n"
      "Own embeddings: hc-eval-hyperlex --data hyperlex-all.txt --embeddings words.safetensors "
      "--words words.json -o -"};
  hc::CommonOptions common;
  hc::HyperLexCommandOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  hc::add_common_options(app, common);
  hc::add_config_option(app, common, "--model", "model.path", "Model folder, weights file or hub id");
  hc::add_config_option(app, common, "--data", "hyperlex.file", "HyperLex-format file");
  hc::add_config_option(app, common, "--pos", "hyperlex.pos", "Pairs to score: all, N or V");
  hc::add_config_option(app, common, "--prompt", "prompt.template", "Prompt around each word");
  hc::add_config_option(app, common, "--templates", "prompt.templates_file",
                        "Templates file for a prompt ensemble");
  hc::add_config_option(app, common, "--root", "root.mode", "Root: empty, origin, mean or file");
  hc::add_config_option(app, common, "--embeddings", "embeddings.file",
                        "Own embeddings (.safetensors, one row per word) instead of a model");
  hc::add_config_option(app, common, "--words", "embeddings.words", "JSON word list of --embeddings");
  hc::add_config_help(app, schema);
  app.callback([&] {
    hc::apply_common_options(common);
    if (hc::load_config(common, schema)) hc::run_hyperlex_command(options, common, schema);
  });
  return hc::run_cli(app, argc, argv);
}
