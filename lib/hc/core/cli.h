#pragma once
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}

namespace hc {

// The options every binary shares (docs/architecture.md, "Conventions every binary shares").
struct CommonOptions {
  std::vector<std::string> config_files;  // --config, repeatable; later files override earlier
  std::vector<std::string> overrides;     // --set key.path=value, repeatable
  std::string output;                     // --output FILE ('-' = stdout)
  std::string device = "cpu";             // --device cpu|cuda|cuda:N
  std::string dtype = "fp32";             // --dtype fp32|fp16|bf16
  int threads = 0;                        // --threads N (0 = all cores)
  std::string log_level = "info";         // --log-level
  bool dump_config = false;               // --dump-config
  // Values of the options made with add_config_option (below), applied after the --config
  // files and before --set.
  struct KeyOption {
    std::string flag;  // "--model", for error messages
    std::string key;   // "model.path"
    std::string value;
  };
  std::vector<KeyOption> key_options;
};

class ConfigSchema;

// Which groups of the shared options a command takes: --output and --log-level always; a
// utility that runs no model leaves out --device/--dtype rather than accept and ignore them.
struct CommonOptionSet {
  bool config = true;   // --config, --set, --dump-config
  bool compute = true;  // --device, --dtype
  bool threads = true;  // --threads
};

// Declares the shared options on app (a binary or a subcommand).
void add_common_options(CLI::App& app, CommonOptions& options, const CommonOptionSet& set);
// The same with every group but, when with_config is false, the config ones.
void add_common_options(CLI::App& app, CommonOptions& options, bool with_config = true);

// A command-line option that sets one config key, declared as data: with
// add_config_option(app, options, "--model", "model.path", "Model folder or hub id"),
// `--model X` does what `--set model.path=X` does.
CLI::Option* add_config_option(CLI::App& app, CommonOptions& options, const std::string& flag,
                               const std::string& key, const std::string& help);

// Lists schema's keys (type, default, help) at the end of app's --help. schema must outlive app.
void add_config_help(CLI::App& app, const ConfigSchema& schema);

// Applies the options that act process-wide (log level, thread count). Call first in a command.
void apply_common_options(const CommonOptions& options);

// The thread count chosen with --threads (0 = all cores), for the modules that size pools.
int requested_threads();

// Parses argv into app and runs the selected callbacks, turning every failure into a one-line
// error on stderr and an exit code: 0 success, 2 usage or config error, 1 runtime failure.
int run_cli(CLI::App& app, int argc, char** argv);

}  // namespace hc
