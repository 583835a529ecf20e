#include "hc/embed/embed_command.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/version.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/inputs.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_bundle.h"
#include "hc/model/model_options.h"
#include "hc/tensor/device.h"
#include "hc/tensor/safetensors_tensor.h"

namespace hc {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ordered_json shape_json(const at::Tensor& tensor) { return ordered_json(tensor.sizes().vec()); }

}  // namespace

std::string embed_sidecar_path(const std::string& output) {
  const std::string suffix = ".safetensors";
  if (ends_with(output, suffix)) return output.substr(0, output.size() - suffix.size()) + ".json";
  return output + ".json";
}

void run_embed(const EmbedCommandOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.output.empty() || options.output == "-") {
    throw usage_error("hc embed: --output must name the .safetensors file to write");
  }
  if (options.texts.empty() && options.images.empty()) {
    throw usage_error("hc embed: nothing to embed: give --texts, --images or both");
  }
  const std::string sidecar = embed_sidecar_path(options.output);
  if (sidecar == options.output) {
    throw usage_error("hc embed: --output {} would be overwritten by its own sidecar",
                      options.output);
  }
  options.embed.validate();

  // Inputs first: a typo in a list should not wait for the model to load.
  std::optional<TextRecords> texts;
  std::optional<ImageList> images;
  if (!options.texts.empty()) texts = read_texts(options.texts);
  if (!options.images.empty()) images = read_images(options.images);

  const c10::Device device = parse_device(options.device);
  const c10::ScalarType dtype = parse_scalar_type(options.dtype);
  set_torch_threads(options.threads);
  ClipBundleOptions bundle_options;
  bundle_options.architecture = options.architecture;
  bundle_options.vocab = options.vocab;
  bundle_options.preprocess = options.preprocess;
  const ClipBundle bundle = open_clip_bundle(options.model, device, dtype, bundle_options);

  EmbedOptions embed = options.embed;
  if (embed.threads == 0) embed.threads = options.threads;
  EmbeddingEngine engine(bundle, embed);
  SafetensorsWriter writer;
  ordered_json inputs = ordered_json::object();
  if (texts) {
    const at::Tensor text_embeds = engine.embed_texts(texts->texts);
    add_tensor(writer, "text_embeds", text_embeds);
    inputs["text_embeds"] = ordered_json{{"source", texts->source},
                                         {"count", texts->texts.size()},
                                         {"shape", shape_json(text_embeds)},
                                         {"texts", texts->texts}};
  }
  if (images) {
    const at::Tensor image_embeds = engine.embed_images(images->paths);
    add_tensor(writer, "image_embeds", image_embeds);
    std::vector<std::string> paths;
    for (const auto& path : images->paths) paths.push_back(path.string());
    inputs["image_embeds"] = ordered_json{{"source", images->source},
                                          {"count", paths.size()},
                                          {"shape", shape_json(image_embeds)},
                                          {"paths", paths}};
  }

  const EmbedStats& stats = engine.stats();
  const ordered_json settings{
      {"device", device.str()},
      {"dtype", scalar_type_label(dtype)},
      {"normalised", embed.normalise},
      {"batch_size", embed.batch_size},
      {"threads", engine.threads()},
      {"context_length", bundle.model->config().text.max_positions},
      {"preprocess", ordered_json::parse(bundle.preprocess.to_json())},
      {"cache", engine.cache_enabled() ? ordered_json(engine.options().cache_dir.string())
                                       : ordered_json(nullptr)}};
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  const ordered_json record{
      {"tool", "hc embed"},
      {"version", version()},
      {"git_sha", git_sha()},
      {"elapsed_s", elapsed.count()},
      {"output", options.output},
      {"model", model_identity_json(bundle.identity)},
      {"settings", settings},
      {"inputs", inputs},
      {"stats",
       {{"text_forward_calls", stats.text_forward_calls},
        {"image_forward_calls", stats.image_forward_calls},
        {"texts_computed", stats.texts_computed},
        {"texts_from_cache", stats.texts_from_cache},
        {"images_computed", stats.images_computed},
        {"images_from_cache", stats.images_from_cache}}}};

  writer.set_metadata("model", bundle.identity.name);
  writer.set_metadata("weights_sha256", bundle.identity.weights_sha256);
  writer.set_metadata("normalised", embed.normalise ? "true" : "false");
  writer.set_metadata("sidecar", fs::path(sidecar).filename().string());
  writer.write(options.output);
  try {
    write_file_atomically(sidecar, dump_json(record) + "\n");
  } catch (...) {
    std::error_code ec;
    fs::remove(options.output, ec);  // an output without its sidecar would look complete
    throw;
  }
  spdlog::info("embedded {} texts and {} images ({} from the cache) in {:.2f} s -> {}",
               texts ? texts->texts.size() : 0, images ? images->paths.size() : 0,
               stats.texts_from_cache + stats.images_from_cache, elapsed.count(), options.output);
}

}  // namespace hc
