#include "hc/core/cli.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <iostream>
#include <new>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/logging.h"
#include "hc/core/version.h"

namespace hc {
namespace {
std::atomic<int> g_threads{0};
}

void add_common_options(CLI::App& app, CommonOptions& options, const CommonOptionSet& set) {
  if (set.config) {
    app.add_option("--config", options.config_files,
                   "YAML config file; repeat to layer several (later ones win)");
    app.add_option("--set", options.overrides, "Override one config key: --set a.b=value")
        ->type_name("KEY=VALUE");
    app.add_flag("--dump-config", options.dump_config, "Print the resolved config and exit");
  }
  app.add_option("--output,-o", options.output, "Output file ('-' for stdout)");
  if (set.compute) {
    app.add_option("--device", options.device, "cpu, cuda or cuda:N")->capture_default_str();
    app.add_option("--dtype", options.dtype, "Compute dtype: fp32, fp16 or bf16")
        ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
        ->capture_default_str();
  }
  if (set.threads) {
    app.add_option("--threads", options.threads, "CPU threads (0 = all cores)")
        ->check(CLI::NonNegativeNumber);
  }
  app.add_option("--log-level", options.log_level,
                 "trace, debug, info, warn, error, critical or off")
      ->capture_default_str();
}

void add_common_options(CLI::App& app, CommonOptions& options, bool with_config) {
  add_common_options(app, options, CommonOptionSet{with_config, true, true});
}

CLI::Option* add_config_option(CLI::App& app, CommonOptions& options, const std::string& flag,
                               const std::string& key, const std::string& help) {
  return app
      .add_option_function<std::string>(
          flag, [&options, flag, key](const std::string& value) {
            options.key_options.push_back({flag, key, value});
          },
          help + " (config key " + key + ")")
      ->type_name("VALUE");
}

void add_config_help(CLI::App& app, const ConfigSchema& schema) {
  app.footer([&schema] {
    return "Config keys (in a --config YAML file, or --set KEY=VALUE):\n" + schema.describe();
  });
}

void apply_common_options(const CommonOptions& options) {
  init_logging(options.log_level);
  g_threads = options.threads;
}

int requested_threads() { return g_threads; }

int run_cli(CLI::App& app, int argc, char** argv) {
  init_logging("info");
  app.set_version_flag("--version", std::string("hc ") + version() + " (" + git_sha() + ")");
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" to CLI11 that exit 0; everything else is a usage error.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory: lower the batch size or the number of threads");
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

}  // namespace hc
