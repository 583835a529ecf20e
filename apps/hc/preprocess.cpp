// hc preprocess: images -> CLIP pixel_values (F32 [N, 3, H, W]) in a safetensors file.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "commands.h"
#include "hc/core/cli.h"
#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/io/safetensors.h"
#include "hc/vision/preprocess.h"
#include "hc/vision/preprocess_config.h"

namespace hc::commands {
namespace {

struct PreprocessCommand {
  CommonOptions common;
  std::string preprocessor;
  std::string preset = "clip_hf";
  std::vector<std::string> images;
};

void run(const PreprocessCommand& command) {
  apply_common_options(command.common);
  if (command.common.output.empty() || command.common.output == "-") {
    throw usage_error("hc preprocess: --output must name the .safetensors file to write");
  }
  const PreprocessConfig config = command.preprocessor.empty()
                                      ? PreprocessConfig::preset(command.preset)
                                      : PreprocessConfig::from_json_file(command.preprocessor);
  const std::vector<std::filesystem::path> paths(command.images.begin(), command.images.end());

  const auto start = std::chrono::steady_clock::now();
  ThreadPool pool(static_cast<std::size_t>(requested_threads()));
  const std::vector<float> pixels = preprocess_batch(paths, config, pool);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  SafetensorsWriter writer;
  writer.add("pixel_values", DType::F32,
             {static_cast<int64_t>(paths.size()), 3, config.output_height(), config.output_width()},
             pixels.data(), pixels.size() * sizeof(float));
  writer.set_metadata("order", nlohmann::json(command.images).dump());
  writer.set_metadata("preprocess", config.to_json());
  writer.write(command.common.output);
  spdlog::info("preprocessed {} images with {} in {:.2f} s on {} threads -> {}", paths.size(),
               config.name, elapsed.count(), pool.size(), command.common.output);
}

}  // namespace

void add_preprocess(CLI::App& app) {
  auto command = std::make_shared<PreprocessCommand>();
  CLI::App* sub = app.add_subcommand(
      "preprocess",
      "Decode and preprocess images exactly as Hugging Face's CLIPImageProcessor (Pillow path) "
      "and write pixel_values F32 [N, 3, H, W] in argument order to a safetensors file, with "
      "__metadata__.order listing the inputs.\n"
      "Example: hc preprocess --output pixels.safetensors a.jpg b.png");
  sub->add_option("images", command->images, "Image files (JPEG, PNG, ...)")->required();
  auto* file = sub->add_option("--preprocessor", command->preprocessor,
                               "preprocessor_config.json, or a checkpoint folder holding one");
  sub->add_option("--preset", command->preset, "Named preprocessing: clip_hf or hgclip_legacy")
      ->check(CLI::IsMember(PreprocessConfig::preset_names()))
      ->capture_default_str()
      ->excludes(file);
  add_common_options(*sub, command->common, hc::CommonOptionSet{false, false, true});
  sub->callback([command] { run(*command); });
}

}  // namespace hc::commands
