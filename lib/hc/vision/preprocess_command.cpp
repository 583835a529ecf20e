#include "hc/vision/preprocess_command.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/thread_pool.h"
#include "hc/core/tool.h"
#include "hc/io/safetensors.h"
#include "hc/vision/preprocess.h"
#include "hc/vision/preprocess_config.h"

namespace hc {

void PreprocessCommandOptions::declare(ConfigSchema& schema) {
  schema.add("preprocess.images", images, "image files (JPEG, PNG, ...)")
      .check_non_empty()
      .flag("images");
  schema.add("preprocess.config", preprocessor,
             "preprocessor_config.json, or a checkpoint folder holding one")
      .relative_to_config()
      .flag("--preprocessor");
  schema.add("preprocess.preset", preset, "named preprocessing when no config is given")
      .one_of(PreprocessConfig::preset_names())
      .flag("--preset");
}

void run_preprocess(const PreprocessCommandOptions& options, RunContext& context,
                    RunResult& result) {
  if (context.output.empty() || context.output == "-") {
    throw usage_error("hc preprocess: --output must name the .safetensors file to write");
  }
  if (!options.preprocessor.empty() && context.config.is_set("preprocess.preset")) {
    throw usage_error("hc preprocess: give --preprocessor or --preset, not both");
  }
  const PreprocessConfig config = options.preprocessor.empty()
                                      ? PreprocessConfig::preset(options.preset)
                                      : PreprocessConfig::from_json_file(options.preprocessor);
  const std::vector<std::filesystem::path> paths(options.images.begin(), options.images.end());

  ThreadPool pool(static_cast<std::size_t>(context.threads()));
  const std::vector<float> pixels = preprocess_batch(paths, config, pool);
  result.timer().done("preprocess");

  SafetensorsWriter writer;
  writer.add("pixel_values", DType::F32,
             {static_cast<int64_t>(paths.size()), 3, config.output_height(), config.output_width()},
             pixels.data(), pixels.size() * sizeof(float));
  writer.set_metadata("order", nlohmann::json(options.images).dump());
  writer.set_metadata("preprocess", config.to_json());
  writer.write(context.output);
  result.metrics()["images"] = paths.size();
  result.set("preprocess", nlohmann::json::parse(config.to_json()));
  spdlog::info("preprocessed {} images with {} in {:.2f} s on {} threads -> {}", paths.size(),
               config.name, result.elapsed_s(), pool.size(), context.output);
}

}  // namespace hc
