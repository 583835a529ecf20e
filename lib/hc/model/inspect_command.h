#pragma once
// hc inspect: what a checkpoint holds, from its file headers (hc/model/inspect_model.h). Text on
// stdout; with --json or --output, the result JSON with the inspection's fields.
#include <string>

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct InspectCommandOptions {
  std::string model;         // inspect.model (positional): folder, weights file or hub id
  std::string architecture;  // inspect.architecture (--arch): of a bare OpenCLIP weights file
  bool json = false;         // inspect.json (--json): print the result JSON instead of text

  void declare(ConfigSchema& schema);
};

void run_inspect(const InspectCommandOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
