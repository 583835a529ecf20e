// hc fetch: downloads a checkpoint into the Hugging Face cache and prints its snapshot folder.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "commands.h"
#include "hc/core/atomic_file.h"
#include "hc/core/cli.h"
#include "hc/core/error.h"
#include "hc/hub/hf_cache.h"
#include "hc/hub/hub_download.h"

namespace hc::commands {
namespace {

struct FetchCommand {
  CommonOptions common;
  std::string model;
  std::string revision;
  std::vector<std::string> files;
  std::string cache_dir;
};

nlohmann::json result_json(const hub::FetchResult& result) {
  return {{"tool", "hc fetch"},
          {"repo_id", result.repo_id},
          {"revision", result.revision},
          {"commit", result.commit},
          {"snapshot", result.snapshot.string()},
          {"files", result.files},
          {"absent", result.absent},
          {"bytes_downloaded", result.bytes_downloaded}};
}

void run(const FetchCommand& command) {
  apply_common_options(command.common);
  hub::HubId id = hub::parse_hub_id(command.model);
  hub::FetchOptions options;
  options.revision = id.revision;
  if (!command.revision.empty()) {
    if (id.revision_given && id.revision != command.revision) {
      throw usage_error("'{}' and --revision {} name different revisions", command.model,
                        command.revision);
    }
    options.revision = command.revision;
  }
  options.files = command.files;
  hub::HubSettings settings = hub::HubSettings::from_environment();
  if (!command.cache_dir.empty()) settings.cache_dir = command.cache_dir;

  hub::FetchResult result = hub::fetch_model(id.repo_id, options, settings);
  if (command.common.output.empty()) {
    std::cout << result.snapshot.string() << std::endl;
  } else if (command.common.output == "-") {
    std::cout << result_json(result).dump(2) << std::endl;
  } else {
    write_file_atomically(command.common.output, result_json(result).dump(2) + "\n");
  }
}

}  // namespace

void add_fetch(CLI::App& app) {
  auto command = std::make_shared<FetchCommand>();
  CLI::App* sub = app.add_subcommand(
      "fetch",
      "Download a model from the Hugging Face hub into the local cache (shared with Python's "
      "huggingface_hub) and print its snapshot folder.\n"
      "Example: hc fetch openai/clip-vit-base-patch32\n"
      "With --output FILE ('-' for stdout) it writes a JSON summary instead of the folder.\n"
      "Environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE");
  sub->add_option("model", command->model, "Hub model id: org/name or org/name@revision")
      ->required();
  sub->add_option("--revision,-r", command->revision, "Branch, tag or commit (default: main)");
  sub->add_option("--files", command->files,
                  "Only these files, comma-separated (default: a CLIP checkpoint's files)")
      ->delimiter(',');
  sub->add_option("--cache-dir", command->cache_dir,
                  "Hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub)");
  add_common_options(*sub, command->common, hc::CommonOptionSet{false, false, false});
  sub->callback([command] { run(*command); });
}

}  // namespace hc::commands
