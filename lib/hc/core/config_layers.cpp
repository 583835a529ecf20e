#include "hc/core/config_layers.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/config.h"
#include "hc/core/strings.h"

namespace hc {
namespace {

std::string flag_source(const ConfigLayers::FlagValue& flag) {
  return fmt::format("{} {}", flag.flag, fmt::join(flag.values, " "));
}

// The name a flag shows in errors: its first long name ("--model"), else its first name.
std::string shown_name(const std::string& names) {
  std::string first;
  for (const auto& name : CLI::detail::split(names, ',')) {
    std::string trimmed = CLI::detail::trim_copy(name);
    if (starts_with(trimmed, "--")) return trimmed;
    if (first.empty()) first = trimmed;
  }
  return first;
}

void add_flag(CLI::App& app, const ConfigFlag& flag, ConfigLayers& layers) {
  const std::string help = flag.help + " (config key " + flag.key + ")";
  const std::string shown = shown_name(flag.names);
  if (flag.fixed_value || flag.is_bool) {
    const std::string value = flag.fixed_value.value_or("true");
    app.add_flag_callback(
        flag.names,
        [&layers, shown, key = flag.key, value] {
          layers.flags.push_back({shown, key, {value}, false});
        },
        help);
    return;
  }
  if (flag.takes_list) {
    CLI::Option* option = app.add_option_function<std::vector<std::string>>(
        flag.names,
        [&layers, shown, key = flag.key](const std::vector<std::string>& values) {
          layers.flags.push_back({shown, key, values, true});
        },
        help);
    if (option->get_positional()) {
      option->type_name("VALUE ...");  // a positional list takes what is left
    } else {
      // A named list takes one value a use, repeatable or comma-separated (--ks 1,5 --ks 10),
      // so it never swallows the positional arguments after it.
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->delimiter(',')
          ->expected(1)
          ->allow_extra_args(false)
          ->type_name("VALUE[,VALUE...]");
    }
    return;
  }
  app.add_option_function<std::string>(
         flag.names,
         [&layers, shown, key = flag.key](const std::string& value) {
           layers.flags.push_back({shown, key, {value}, false});
         },
         help)
      ->type_name("VALUE");
}

}  // namespace

void apply_config_layers(const ConfigLayers& layers, ConfigSchema& schema, bool validate) {
  for (const auto& file : layers.files) schema.load_file(file);
  for (const auto& flag : layers.flags) {
    if (flag.list) {
      schema.set_values(flag.key, flag.values, flag_source(flag));
    } else {
      schema.set_value(flag.key, flag.values.front(), flag_source(flag));
    }
  }
  for (const auto& assignment : layers.overrides) schema.apply_override(assignment);
  if (validate) schema.validate();
}

void add_config_options(CLI::App& app, const ConfigSchema& schema, ConfigLayers& layers) {
  app.add_option("--config", layers.files,
                 "YAML config file; repeat to layer several (later ones win). Relative paths in "
                 "a file are relative to the file's folder")
      ->type_name("FILE");
  app.add_option("--set", layers.overrides, "Override one config key: --set a.b=value")
      ->type_name("KEY=VALUE");
  for (const auto& flag : schema.flags()) add_flag(app, flag, layers);
}

void add_config_help(CLI::App& app, const ConfigSchema& schema) {
  app.footer([&schema] {
    return "Config keys (in a --config YAML file, or --set KEY=VALUE):\n" + schema.describe();
  });
}

}  // namespace hc
