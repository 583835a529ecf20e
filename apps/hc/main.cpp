// hc: the utility binary (tokenize, preprocess, embed, cache, init-model, inspect, fetch).
#include <CLI/CLI.hpp>

#include "commands.h"
#include "hc/core/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"hc: utilities for visual-semantic hierarchies in CLIP-like models"};
  app.require_subcommand(1);
  // Subcommands: one line each, defined in apps/hc/<name>.cpp.
  hc::commands::add_cache(app);
  hc::commands::add_embed(app);
  hc::commands::add_fetch(app);
  hc::commands::add_init_model(app);
  hc::commands::add_inspect(app);
  hc::commands::add_preprocess(app);
  hc::commands::add_tokenize(app);
  return hc::run_cli(app, argc, argv);
}
