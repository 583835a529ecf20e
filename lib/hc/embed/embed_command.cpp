#include "hc/embed/embed_command.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <iostream>
#include <optional>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/stop_signal.h"
#include "hc/embed/embed_stream.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/inputs.h"
#include "hc/embed/model_session.h"
#include "hc/embed/shard_spec.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "hc/core/tool.h"

namespace hc {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

ordered_json shape_json(const at::Tensor& tensor) { return ordered_json(tensor.sizes().vec()); }

void check_output(const std::string& output) {
  if (output.empty() || output == "-") {
    throw usage_error("hc embed: --output must name the .safetensors file to write");
  }
  if (data_sidecar_path(output) == output) {
    throw usage_error("hc embed: --output {} would be overwritten by its own sidecar", output);
  }
}

ordered_json settings_json(const ModelSession& session, const ComputeOptions& compute) {
  const EmbeddingEngine& engine = session.engine();
  return {{"device", compute.device},
          {"dtype", compute.dtype},
          {"normalised", engine.options().normalise},
          {"batch_size", engine.options().batch_size},
          {"threads", engine.threads()},
          {"context_length", session.bundle().model->config().text.max_positions},
          {"preprocess", ordered_json::parse(session.bundle().preprocess.to_json())},
          {"cache", engine.cache_enabled() ? ordered_json(engine.options().cache_dir.string())
                                           : ordered_json(nullptr)}};
}

void run_embed_stream(const EmbedCommandOptions& options, RunContext& context,
                      RunResult& result) {
  if (!options.texts.empty() || !options.images.empty() || !options.shard.empty() ||
      !context.output.empty()) {
    throw usage_error(
        "hc embed --stream reads its inputs from stdin and answers on stdout: drop --texts, "
        "--images, --shard and --output");
  }
  if (options.model.path.empty()) throw usage_error("hc embed: give the model (--model)");
  install_stop_signals();
  ModelOptions model = options.model;
  model.normalise = !options.raw;
  model.show_progress = false;  // one input a call: no bars, no log line per request
  ModelSession session(model, context.compute, result);
  spdlog::info("hc embed --stream: {} ready, reading requests from stdin",
               session.bundle().identity.name);
  const EmbedStreamSummary summary = serve_embed_stream(session.engine(), STDIN_FILENO, std::cout);
  const EmbedStats& stats = session.engine().stats();
  session.report(result);
  const std::string line = fmt::format(
      "answered {} requests ({} from the cache, {} failed{}) in {:.2f} s", summary.requests,
      stats.texts_from_cache + stats.images_from_cache, summary.failed,
      summary.failed > 0 ? fmt::format(", the first on line {}", summary.first_failed_line) : "",
      result.elapsed_s());
  if (summary.stopped) throw stopped_error(line);
  if (summary.failed > 0) throw runtime_error("hc embed --stream: {}", line);
  spdlog::info("hc embed --stream: {}", line);
}

}  // namespace

void EmbedCommandOptions::declare(ConfigSchema& schema) {
  model.declare(schema, "model");
  schema.add("embed.texts", texts, "texts: FILE (one per line), FILE.jsonl or FILE.csv:COLUMN")
      .flag("--texts");
  schema.add("embed.images", images, "images: FOLDER, LIST_FILE or FILE.csv:COLUMN")
      .flag("--images");
  schema.add("embed.raw", raw, "keep the projected embeddings as they are (no unit norm)")
      .flag("--raw");
  declare_shard(schema, shard);
  schema.add("embed.stream", stream,
             "answer requests from stdin, one per line ({\"text\": ...}, {\"image\": PATH} or a "
             "bare text), with one JSON line each on stdout")
      .flag("--stream");
}

void run_embed(const EmbedCommandOptions& options, RunContext& context, RunResult& result) {
  if (options.stream) {
    run_embed_stream(options, context, result);
    return;
  }
  if (options.shard.empty()) check_output(context.output);
  if (options.texts.empty() && options.images.empty()) {
    throw usage_error("hc embed: nothing to embed: give --texts, --images or both");
  }
  if (options.model.path.empty()) throw usage_error("hc embed: give the model (--model)");
  // Inputs first: a typo in a list should not wait for the model to load.
  std::optional<TextRecords> texts;
  std::optional<ImageList> images;
  if (!options.texts.empty()) texts = read_texts(options.texts);
  if (!options.images.empty()) images = read_images(options.images);
  result.timer().done("read_inputs");

  ModelOptions model = options.model;
  model.normalise = !options.raw;
  ModelSession session(model, context.compute, result);
  if (!options.shard.empty()) {
    session.fill_shard(options.shard, texts ? texts->texts : std::vector<std::string>{},
                       images ? images->paths : std::vector<fs::path>{}, result);
    return;
  }
  EmbeddingEngine& engine = session.engine();
  SafetensorsWriter writer;
  ordered_json inputs = ordered_json::object();
  if (texts) {
    const at::Tensor text_embeds = engine.embed_texts(texts->texts);
    result.timer().done("embed_texts");
    add_tensor(writer, "text_embeds", text_embeds);
    inputs["text_embeds"] = ordered_json{{"source", texts->source},
                                         {"count", texts->texts.size()},
                                         {"shape", shape_json(text_embeds)},
                                         {"texts", texts->texts}};
  }
  if (images) {
    const at::Tensor image_embeds = engine.embed_images(images->paths);
    result.timer().done("embed_images");
    add_tensor(writer, "image_embeds", image_embeds);
    std::vector<std::string> paths;
    for (const auto& path : images->paths) paths.push_back(path.string());
    inputs["image_embeds"] = ordered_json{{"source", images->source},
                                          {"count", paths.size()},
                                          {"shape", shape_json(image_embeds)},
                                          {"paths", paths}};
  }
  const std::string sidecar = data_sidecar_path(context.output);
  writer.set_metadata("model", session.bundle().identity.name);
  writer.set_metadata("weights_sha256", session.bundle().identity.weights_sha256);
  writer.set_metadata("normalised", engine.options().normalise ? "true" : "false");
  writer.set_metadata("sidecar", fs::path(sidecar).filename().string());
  writer.write(context.output);

  session.report(result);
  result.set("output", context.output);
  result.set("settings", settings_json(session, context.compute));
  result.set("inputs", inputs);
  const EmbedStats& stats = engine.stats();
  spdlog::info("embedded {} texts and {} images ({} from the cache) in {:.2f} s -> {}",
               texts ? texts->texts.size() : 0, images ? images->paths.size() : 0,
               stats.texts_from_cache + stats.images_from_cache, result.elapsed_s(),
               context.output);
}

}  // namespace hc
