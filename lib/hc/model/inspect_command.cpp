#include "hc/model/inspect_command.h"

#include <nlohmann/json.hpp>

#include <iostream>

#include "hc/core/config.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/model/inspect_model.h"

namespace hc {

void InspectCommandOptions::declare(ConfigSchema& schema) {
  schema.add("inspect.model", model, "checkpoint folder, weights file or cached hub id")
      .required()
      .relative_to_config()
      .flag("model");
  schema.add("inspect.architecture", architecture,
             "architecture of a bare OpenCLIP weights file (e.g. ViT-B-32)")
      .flag("--arch");
  schema.add("inspect.json", json, "print the result JSON instead of text").flag("--json");
}

void run_inspect(const InspectCommandOptions& options, RunContext& context, RunResult& result) {
  const ModelInspection inspection = inspect_model(options.model, options.architecture);
  const nlohmann::ordered_json fields = inspection_json(inspection);
  for (const auto& [key, value] : fields.items()) result.set(key, value);
  if (!context.output.empty()) return;
  if (options.json) {
    result.set_output("-");
    return;
  }
  std::cout << inspection_text(inspection) << std::flush;
}

}  // namespace hc
