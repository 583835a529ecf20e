#pragma once
// One way to write a tool. A tool is:
//   - its info: name, one-line purpose, examples, which shared sections it takes;
//   - an options struct whose declare(ConfigSchema&) declares its config keys, with the
//     command-line flags of each key declared beside it (ConfigKey::flag);
//   - one run(options, context, result) in the library.
// Each binary is then a few lines (apps/*.cpp):
//
//   int main(int argc, char** argv) {
//     hc::ToolInfo info{"hc-retrieve", "HierarCaps hierarchical retrieval ...",
//                       {"hc-retrieve --config configs/eval/hierarcaps.yaml --model ..."}};
//     info.compute = hc::ToolCompute::Model;
//     return hc::run_tool(hc::make_tool<hc::RetrieveOptions>(info, hc::run_retrieve), argc, argv);
//   }
// (run_tool and run_tools: hc/tool/tool_runner.h.)
//
// The tool layer gives every tool the same contract (docs/architecture.md): --config (layered),
// --set, --dump-config, --output/-o, --log-level, --version, --help with the examples and every
// config key; the compute section (compute.device/dtype/threads, --device/--dtype/--threads)
// for tools that run a model; the result JSON with its metadata; SIGTERM/SIGINT handling; exit
// codes 0 / 1 (runtime) / 2 (usage) / 128+signal.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hc/core/compute_options.h"

namespace hc {

class ConfigSchema;
class RunResult;

// Which shared compute keys a tool takes.
enum class ToolCompute {
  None,     // no model, no worker threads
  Threads,  // compute.threads only (worker pools: tokenising, decoding)
  Model,    // compute.device, compute.dtype, compute.threads
};

// What --output names.
enum class ToolOutput {
  Result,           // the result JSON; default runs/<tool>/<UTC time>/result.json, '-' = stdout
  ResultIfAsked,    // the result JSON, written only when --output is given (utilities)
  Data,             // the tool's data file (embeddings, pixels, token ids); the result JSON is
                    // written beside it (data_sidecar_path) unless the data goes to stdout
};

struct ToolInfo {
  std::string name;                   // "hc-retrieve"; a subcommand's own name ("embed")
  std::string purpose;                // one line
  std::vector<std::string> examples;  // whole command lines; at least one
  std::string details;                // further --help paragraphs, optional
  ToolCompute compute = ToolCompute::None;
  ToolOutput output = ToolOutput::Result;

  ToolInfo(std::string name, std::string purpose, std::vector<std::string> examples,
           std::string details = "");
};

// What a running tool receives besides its options. Torch-free, so torch-free tools (hc
// tokenize) take it too; hc/tool/compute_context.h turns compute into torch devices and dtypes.
struct RunContext {
  const ToolInfo& info;
  // Resolved: device "cpu" or "cuda:N" (never the bare "cuda"), threads >= 1. Defaults
  // (cpu, fp32, all cores) for a tool without the compute keys.
  ComputeOptions compute;
  std::string output;  // --output as given ("" when not given, "-" for stdout)
  const ConfigSchema& config;

  int threads() const { return compute.threads; }
};

// A tool as the runner takes it.
struct ToolSpec {
  ToolInfo info;
  std::function<void(ConfigSchema&)> declare;
  std::function<void(RunContext&, RunResult&)> run;
};

// Binds an options struct (with declare(ConfigSchema&)) and its run function into a tool.
template <typename Options>
ToolSpec make_tool(ToolInfo info,
                   void (*run)(const Options& options, RunContext& context, RunResult& result)) {
  auto options = std::make_shared<Options>();
  return ToolSpec{std::move(info), [options](ConfigSchema& schema) { options->declare(schema); },
                  [options, run](RunContext& context, RunResult& result) {
                    run(*options, context, result);
                  }};
}

// Where a Data tool's result JSON goes: OUT.safetensors -> OUT.json, anything else OUT + ".json".
std::string data_sidecar_path(const std::string& output);

}  // namespace hc
