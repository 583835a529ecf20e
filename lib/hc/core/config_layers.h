#pragma once
// The layers a tool's config is built from, in the order they apply: the --config files (later
// ones win), then the command-line flags bound to keys (ConfigKey::flag), then the --set
// overrides. Torch-free; the tool layer (hc/tool/) fills it from the command line.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hc {

class ConfigSchema;

struct ConfigLayers {
  // One use of a flag bound to a key: `--model X` -> {"--model", "model.path", {"X"}}.
  struct FlagValue {
    std::string flag;
    std::string key;
    std::vector<std::string> values;  // one value, or several for a list key
    bool list = false;
  };

  std::vector<std::string> files;      // --config, repeatable
  std::vector<FlagValue> flags;        // in the order the command line gave them
  std::vector<std::string> overrides;  // --set key.path=value, repeatable
};

// Layers files, flags and overrides onto schema in that order, then validates unless told not
// to (--dump-config prints a template, whose required keys may still be empty). Unknown keys
// and wrong types are errors either way: usage hc::Errors naming the file and line, the flag or
// the --set argument.
void apply_config_layers(const ConfigLayers& layers, ConfigSchema& schema, bool validate = true);

// Declares --config and --set on app, and one command-line option per flag declared on
// schema's keys, each recording into layers. Both must outlive app's parsing.
void add_config_options(CLI::App& app, const ConfigSchema& schema, ConfigLayers& layers);

// Lists schema's keys (type, default, help) at the end of app's --help. schema must outlive app.
void add_config_help(CLI::App& app, const ConfigSchema& schema);

}  // namespace hc
