#pragma once

namespace CLI {
class App;
}

// Each subcommand of the `hc` utility declares its options and its callback in its own file.
namespace hc::commands {
void add_cache(CLI::App& app);
void add_embed(CLI::App& app);
void add_fetch(CLI::App& app);
void add_init_model(CLI::App& app);
void add_inspect(CLI::App& app);
void add_preprocess(CLI::App& app);
void add_tokenize(CLI::App& app);
}  // namespace hc::commands
