// The one command-line shape of every hc tool (tool.h): shared options, config layers, the
// compute section, the result JSON and error handling.
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "hc/core/cli.h"
#include "hc/core/config.h"
#include "hc/core/config_layers.h"
#include "hc/core/error.h"
#include "hc/core/logging.h"
#include "hc/core/result.h"
#include "hc/core/strings.h"
#include "hc/core/version.h"
#include "hc/tool/compute_context.h"
#include "hc/tool/tool_runner.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

// Everything one tool's command line binds to; lives as long as the CLI11 app.
struct ToolSession {
  ToolSession(ToolSpec tool, std::string name) : spec(std::move(tool)), shown_name(std::move(name)) {}

  ToolSpec spec;
  std::string shown_name;  // "hc-retrieve", "hc embed"
  ConfigSchema schema;
  ComputeOptions compute;
  ConfigLayers layers;
  std::string output;
  std::string log_level = "info";
  bool dump_config = false;
};

std::string description(const ToolInfo& info) {
  std::string text = info.purpose;
  if (!info.details.empty()) text += "\n" + info.details;
  for (const auto& example : info.examples) text += "\nExample: " + example;
  return text;
}

std::string output_help(ToolOutput output) {
  switch (output) {
    case ToolOutput::Result:
      return "Result JSON file ('-' for stdout; default runs/<tool>/<UTC time>/result.json)";
    case ToolOutput::ResultIfAsked:
      return "Write the result JSON to this file ('-' for stdout)";
    case ToolOutput::Data:
      return "Output file; the result JSON is written beside it (OUT.json)";
  }
  return "";
}

void declare_keys(ToolSession& session) {
  session.spec.declare(session.schema);
  switch (session.spec.info.compute) {
    case ToolCompute::Model: session.compute.declare(session.schema); break;
    case ToolCompute::Threads: session.compute.declare_threads(session.schema); break;
    case ToolCompute::None: break;
  }
}

// Runs the tool's function; a torch error becomes one hc::Error line (its message without the
// C++ backtrace libtorch appends).
void run_guarded(ToolSession& session, RunContext& context, RunResult& result) {
  try {
    session.spec.run(context, result);
  } catch (const c10::Error& e) {
    std::string message = e.what_without_backtrace();
    const std::size_t newline = message.find('\n');
    if (newline != std::string::npos) {
      spdlog::debug("full torch error: {}", message);
      message.resize(newline);
    }
    throw runtime_error("torch: {}", message);
  }
}

// Writes the result where the tool's output kind says; returns where it went.
void write_result(ToolSession& session, RunResult& result) {
  const std::string& output = session.output;
  switch (session.spec.info.output) {
    case ToolOutput::Result:
      result.write();
      return;
    case ToolOutput::ResultIfAsked:  // the tool may ask itself (hc inspect --json)
      if (!result.output().empty()) result.write();
      return;
    case ToolOutput::Data:
      if (output.empty() || output == "-") return;  // data on stdout: nothing to sit beside
      result.set_output(data_sidecar_path(output));
      try {
        result.write();
      } catch (...) {
        std::error_code ignored;
        fs::remove(output, ignored);  // data without its sidecar would look complete
        throw;
      }
      return;
  }
}

void execute(ToolSession& session) {
  init_logging(session.log_level);
  apply_config_layers(session.layers, session.schema, !session.dump_config);
  if (session.dump_config) {
    std::cout << session.schema.to_yaml() << std::flush;
    return;
  }
  const ToolInfo& info = session.spec.info;
  RunContext context{info, resolve_compute(session.compute, info.compute != ToolCompute::Model),
                     session.output, session.schema};
  if (info.compute != ToolCompute::None) apply_compute_threads(context.compute);

  RunResult result(session.shown_name,
                   info.output == ToolOutput::Data ? std::string() : session.output);
  if (info.compute == ToolCompute::Model) result.set_compute(context.compute);
  if (info.compute == ToolCompute::Threads) result.set_threads(context.threads());
  result.set_config(session.schema);
  run_guarded(session, context, result);
  write_result(session, result);
}

void attach(CLI::App& app, ToolSession& session) {
  declare_keys(session);
  add_config_options(app, session.schema, session.layers);
  app.add_flag("--dump-config", session.dump_config,
               "Print the resolved config as YAML and exit (a template to start from)");
  app.add_option("--output,-o", session.output, output_help(session.spec.info.output))
      ->type_name("FILE");
  app.add_option("--log-level", session.log_level,
                 "trace, debug, info, warn, error, critical or off")
      ->capture_default_str();
  add_config_help(app, session.schema);
  app.callback([&session] { execute(session); });
}

}  // namespace

int run_tool(ToolSpec tool, int argc, char** argv) {
  const std::string name = tool.info.name;
  auto session = std::make_unique<ToolSession>(std::move(tool), name);
  CLI::App app{session->spec.info.name + ": " + description(session->spec.info)};
  attach(app, *session);
  return run_cli(app, argc, argv);
}

int run_tools(const std::string& program, const std::string& purpose, std::vector<ToolSpec> tools,
              int argc, char** argv) {
  CLI::App app{program + ": " + purpose};
  app.require_subcommand(1);
  std::vector<std::unique_ptr<ToolSession>> sessions;
  for (auto& tool : tools) {
    const std::string name = program + " " + tool.info.name;
    auto session = std::make_unique<ToolSession>(std::move(tool), name);
    CLI::App* sub = app.add_subcommand(session->spec.info.name, description(session->spec.info));
    sub->set_version_flag("--version", std::string("hc ") + version() + " (" + git_sha() + ")");
    attach(*sub, *session);
    sessions.push_back(std::move(session));
  }
  return run_cli(app, argc, argv);
}

}  // namespace hc
