// hc inspect: what a checkpoint holds, from its file headers (the work is hc::inspect_model).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "commands.h"
#include "hc/core/atomic_file.h"
#include "hc/core/cli.h"
#include "hc/model/inspect_model.h"

namespace hc::commands {
namespace {

struct InspectCommand {
  CommonOptions common;
  std::string model;
  std::string architecture;
  bool json = false;
};

void run(const InspectCommand& command) {
  apply_common_options(command.common);
  const ModelInspection inspection = inspect_model(command.model, command.architecture);
  const std::string& output = command.common.output;
  if (output.empty() || output == "-") {
    std::cout << (command.json || output == "-" ? inspection_json(inspection).dump(2) + "\n"
                                                 : inspection_text(inspection));
    std::cout.flush();
  } else {
    write_file_atomically(output, inspection_json(inspection).dump(2) + "\n");
  }
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto command = std::make_shared<InspectCommand>();
  CLI::App* sub = app.add_subcommand(
      "inspect",
      "Describe a CLIP checkpoint without loading it: naming scheme, architecture, parameters "
      "per tower, stored dtypes, weights files and sizes, weights SHA-256, tokenizer and "
      "preprocessor files. Human-readable on stdout; JSON with --json or --output FILE.\n"
      "Example: hc inspect openai/clip-vit-base-patch32");
  sub->add_option("model", command->model, "Checkpoint folder, weights file or cached hub id")
      ->required();
  sub->add_option("--arch", command->architecture,
                  "Architecture of a bare OpenCLIP weights file (e.g. ViT-B-32)");
  sub->add_flag("--json", command->json, "Print JSON instead of text");
  add_common_options(*sub, command->common, hc::CommonOptionSet{false, false, false});
  sub->callback([command] { run(*command); });
}

}  // namespace hc::commands
