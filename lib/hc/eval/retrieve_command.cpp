#include "hc/eval/retrieve_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <chrono>
#include <memory>
#include <optional>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/file_fingerprint.h"
#include "hc/core/result.h"
#include "hc/data/hierarcaps_pairs.h"
#include "hc/data/synthetic_hierarcaps.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/model_session.h"
#include "hc/embed/shard_spec.h"
#include "hc/eval/calibration_baselines.h"
#include "hc/eval/crossmodal_retrieval.h"
#include "hc/eval/qualitative_report.h"
#include "hc/eval/retrieval_embeddings.h"
#include "hc/geometry/precision.h"
#include "hc/geometry/root.h"
#include "hc/io/csv.h"
#include "hc/model/clip_bundle.h"
#include "hc/model/tokenizer_files.h"
#include "hc/tensor/device.h"
#include "hc/core/tool.h"
#include "hc/tool/compute_context.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

const std::vector<std::string> kModes{"hierarchical", "qualitative", "crossmodal"};

std::vector<fs::path> image_files(const HierarCapsSet& set, std::size_t count) {
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < count; ++i) files.push_back(set.images[i].file);
  return files;
}

HierarCapsSet load_set(const RetrieveOptions& options) {
  HierarCapsSet set = load_hierarcaps(options.data);
  if (!set.skipped.empty()) {
    std::vector<int64_t> ids(set.missing_coco_ids.begin(),
                             set.missing_coco_ids.begin() +
                                 std::min<std::size_t>(5, set.missing_coco_ids.size()));
    spdlog::warn("skipped {} rows of {} whose {} images are missing from {} (COCO ids {}{}); "
                 "the result lists them under metrics.skipped",
                 set.skipped.size(), set.source.string(), set.missing_coco_ids.size(),
                 set.image_folder.string(), fmt::join(ids, ", "),
                 ids.size() < set.missing_coco_ids.size() ? ", ..." : "");
  }
  return set;
}

// The tokenizer for the token-count baseline: the model's, else model.vocab / $HC_VOCAB.
std::optional<ClipTokenizer> baseline_tokenizer(const RetrieveOptions& options,
                                                const ModelSession* model) {
  if (model != nullptr) return model->bundle().tokenizer;
  const fs::path vocab = vocabulary_or_environment(options.model.vocab);
  if (vocab.empty()) return std::nullopt;
  return ClipTokenizer::load(vocab);
}

std::string recall_text(const std::vector<double>& values) {
  std::vector<std::string> parts;
  for (double v : values) parts.push_back(fmt::format("{:.3f}", v));
  return fmt::format("{}", fmt::join(parts, "/"));
}

void log_crossmodal(const CrossModalRecall& recall, const std::string& what) {
  spdlog::info("cross-modal retrieval ({}): R@{} text->image {}, image->text {}", what,
               fmt::join(recall.ks, "/"), recall_text(recall.text_to_image),
               recall_text(recall.image_to_text));
}

std::string optional_number(const json& value) {
  return value.is_number() ? fmt::format("{:.4f}", value.get<double>()) : "n/a";
}

// What the metrics are computed from: the HierarCaps texts [rows, 4, D], images [images, D] and
// the root [D], from the model or from an embeddings file.
struct RetrievalInputs {
  at::Tensor text;
  at::Tensor images;
  at::Tensor root;
  json root_json;
  json model_json = json::object();
};

RetrievalInputs read_inputs(const RetrieveOptions& options, const HierarCapsSet& set,
                            const ModelSession* model, RunResult& result) {
  RetrievalInputs inputs;
  RetrievalEmbeddings given = read_retrieval_embeddings(options.embeddings, set);
  if (model && model->dim() != given.dim) {
    throw runtime_error(
        "the model {} embeds into {} dimensions but {} holds {}-dimensional embeddings: they "
        "cannot come from this model; give the model that made them, or leave --model out",
        model->bundle().identity.name, model->dim(), options.embeddings.string(), given.dim);
  }
  inputs.text = given.text;
  inputs.images = given.images;
  inputs.root_json = options.root.to_json();
  if (options.root.resolved().mode == "empty" && given.root.defined()) {
    inputs.root = given.root;
    inputs.root_json["source"] = options.embeddings.string() + ": root";
  }
  if (model) inputs.model_json = model->identity_json();
  inputs.model_json["embeddings"] = {{"path", options.embeddings.string()},
                                     {"sha256", cached_sha256_file(options.embeddings)}};
  result.timer().done("read_embeddings");
  return inputs;
}

RetrievalInputs embed_inputs(const HierarCapsSet& set, ModelSession& model, RunResult& result) {
  RetrievalInputs inputs;
  const auto rows = static_cast<int64_t>(set.rows.size());
  inputs.text = model.engine().embed_texts(set.texts()).reshape({rows, 4, -1});
  result.timer().done("embed_texts");
  inputs.images = model.engine().embed_images(image_files(set, set.images.size()));
  result.timer().done("embed_images");
  inputs.model_json = model.identity_json();
  return inputs;
}

// The root of options.root unless the inputs brought one (an embeddings file's own root).
void add_root(const RetrieveOptions& options, ModelSession* model, RetrievalInputs& inputs,
              RunResult& result) {
  const RootOptions root = options.root.resolved();
  if (inputs.root_json.is_null()) inputs.root_json = root.to_json();
  if (inputs.root.defined()) return;
  const int64_t dim = inputs.text.size(2);
  if (root.mode == "empty" && !model) {
    throw usage_error(
        "{} has no 'root' tensor and root.mode=empty needs the model's embedding of the empty "
        "string: give the model (--model), add 'root' [{}] to the file, or set root.mode to "
        "origin, mean or a .safetensors file",
        options.embeddings.string(), dim);
  }
  RootSources sources;
  if (model) sources.empty_text_embedding = [&] { return model->engine().embed_texts({""}); };
  const int64_t rows = inputs.text.size(0);
  sources.embeddings = [&] { return inputs.text.reshape({rows * 4, dim}); };
  sources.dim = dim;
  inputs.root = make_root(root, sources);
  if (inputs.root.size(0) != dim) {
    throw runtime_error("the root from {} has {} dimensions, the embeddings {}",
                        root.file.string(), inputs.root.size(0), dim);
  }
  inputs.root_json["source"] =
      model && root.mode == "empty" ? json("model: embedding of \"\"") : json(root.mode);
  result.timer().done("root");
}

json baselines_json(const RetrieveOptions& options, const HierarCapsSet& set,
                    const ModelSession* model) {
  const std::optional<ClipTokenizer> tokenizer = baseline_tokenizer(options, model);
  json baselines = radius_baselines_json(set, tokenizer ? &*tokenizer : nullptr);
  if (options.random_init) {
    baselines["random_init"] = random_init_json(
        random_init_baseline(model->bundle(), set, options.root.resolved(),
                             static_cast<uint64_t>(options.random_seed), options.model.batch_size));
  }
  return baselines;
}

void write_per_image(const HierarchicalRetrievalResult& retrieval, RunResult& result) {
  const fs::path path = result.artefact_path("per_image.jsonl");
  const json details = hierarchical_retrieval_json(retrieval, true);
  AtomicFile file(path);
  for (const auto& image : details["per_image"]) {
    file.stream() << image.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  file.commit();
  result.add_artefact(path, "per image: coco_id, file, precision, recall, predicted chain");
}

void log_hierarchical(const HierarCapsSet& set, const HierarchicalRetrievalResult& retrieval,
                      const json& baselines, bool random_init) {
  spdlog::info("HierarCaps {}: {} rows, {} images{}: precision {:.4f}  recall {:.4f}  d_corr {:.4f}",
               set.source.filename().string(), retrieval.rows, retrieval.images,
               set.skipped.empty() ? "" : fmt::format(" ({} rows skipped)", set.skipped.size()),
               retrieval.precision, retrieval.recall, retrieval.d_corr);
  spdlog::info("calibration, d_corr of radii without a model: char length {}, token count {}{}",
               optional_number(baselines["char_length"]["d_corr"]),
               optional_number(baselines["token_count"]["d_corr"]),
               random_init ? fmt::format("; random-init model {:.4f}",
                                         baselines["random_init"]["d_corr"].get<double>())
                           : "");
}

void run_hierarchical(const RetrieveOptions& options, RunContext& context, RunResult& result) {
  const HierarCapsSet set = load_set(options);
  result.timer().done("load_data");
  std::unique_ptr<ModelSession> model;
  if (!options.model.path.empty()) {
    model = std::make_unique<ModelSession>(options.model, context.compute, result);
  }
  if (!options.shard.empty()) {  // an array task: the texts (and "") and the images, cached
    std::vector<std::string> texts = set.texts();
    texts.push_back("");
    model->fill_shard(options.shard, texts, image_files(set, set.images.size()), result);
    return;
  }
  RetrievalInputs inputs = options.embeddings.empty() ? embed_inputs(set, *model, result)
                                                      : read_inputs(options, set, model.get(), result);
  add_root(options, model.get(), inputs, result);

  const at::Device device = compute_device(context.compute);
  const HierarchicalRetrievalResult retrieval = evaluate_hierarchical_retrieval(
      inputs.text.to(device), inputs.images.to(device), inputs.root.to(device), set,
      options.retrieval.steps);
  result.timer().done("metric");
  const json baselines = baselines_json(options, set, model.get());
  result.timer().done("baselines");

  std::vector<int64_t> owners;
  for (const auto& row : set.rows) owners.push_back(static_cast<int64_t>(row.image));
  const CrossModalRecall recall = crossmodal_recall(
      inputs.text.select(1, options.tier - 1).to(device), inputs.images.to(device), owners,
      options.ks);
  result.timer().done("crossmodal");

  json metrics = hierarchical_retrieval_json(retrieval, options.per_item);
  metrics["baselines"] = baselines;
  json crossmodal = crossmodal_json(recall);
  crossmodal["tier"] = options.tier;
  metrics["crossmodal"] = crossmodal;
  for (auto& [key, value] : metrics.items()) result.metrics()[key] = value;
  if (options.per_image_jsonl) write_per_image(retrieval, result);
  result.set_model(inputs.model_json);
  result.set("root", inputs.root_json);
  if (model) result.set("embedding", model->embedding_json());
  result.timer().done("outputs");

  log_hierarchical(set, retrieval, baselines, options.random_init);
  log_crossmodal(recall, fmt::format("tier-{} texts vs their images", options.tier));
}

// Agreement of the predicted chains with the ground truth, for the result's metrics.
void add_chain_metrics(const std::vector<QualitativeItem>& items, RunResult& result) {
  std::size_t predictions = 0, in_truth = 0;
  for (const auto& item : items) {
    std::vector<std::string> truth;
    for (const auto& chain : item.ground_truth) truth.insert(truth.end(), chain.begin(), chain.end());
    predictions += item.chain.size();
    for (const auto& text : item.chain) {
      in_truth += std::find(truth.begin(), truth.end(), text) != truth.end() ? 1 : 0;
    }
  }
  result.metrics()["images"] = items.size();
  result.metrics()["mean_chain_length"] =
      items.empty() ? 0.0 : static_cast<double>(predictions) / static_cast<double>(items.size());
  result.metrics()["predictions_in_ground_truth"] =
      predictions == 0 ? 0.0 : static_cast<double>(in_truth) / static_cast<double>(predictions);
}

void write_chains(const RetrieveOptions& options, const std::vector<QualitativeItem>& items,
                  const ModelSession& model, std::size_t candidate_count, int threads,
                  RunResult& result) {
  const fs::path jsonl = result.artefact_path("chains.jsonl");
  write_chains_jsonl(jsonl, items);
  result.add_artefact(jsonl, "per image: predicted chain, scores and ground-truth hierarchies");
  if (!options.html) return;
  QualitativePageInfo info;
  info.model = model.bundle().identity.name;
  info.candidates = options.candidates.filename().string();
  info.candidate_count = candidate_count;
  info.steps = options.retrieval.steps;
  info.thumbnail_size = options.thumbnail_size;
  info.threads = threads;
  const fs::path html = result.artefact_path("chains.html");
  write_chains_html(html, items, info);
  result.add_artefact(html, "the predicted chains beside thumbnails and ground truth (HTML)");
}

void run_qualitative(const RetrieveOptions& options, RunContext& context, RunResult& result) {
  const HierarCapsSet set = load_set(options);
  std::vector<std::string> candidates =
      load_hierarcaps_pairs(options.candidates).distinct_positive_texts();
  if (options.max_candidates > 0 &&
      candidates.size() > static_cast<std::size_t>(options.max_candidates)) {
    candidates.resize(static_cast<std::size_t>(options.max_candidates));
  }
  const std::size_t image_count =
      options.max_images > 0 ? std::min<std::size_t>(options.max_images, set.images.size())
                             : set.images.size();
  result.timer().done("load_data");

  ModelSession model(options.model, context.compute, result);
  const at::Tensor texts = model.engine().embed_texts(candidates);
  result.timer().done("embed_texts");
  const at::Tensor images = model.engine().embed_images(image_files(set, image_count));
  result.timer().done("embed_images");
  RootSources sources;
  sources.empty_text_embedding = [&] { return model.engine().embed_texts({""}); };
  sources.embeddings = [&] { return texts; };
  sources.dim = texts.size(1);
  const at::Tensor root = make_root(options.root, sources);

  const at::Device device = compute_device(context.compute);
  const HierarchicalChains chains = retrieve_hierarchical_chains(
      texts.to(device), candidates, images.to(device), root.to(device), options.retrieval.steps);
  result.timer().done("retrieval");

  const std::vector<QualitativeItem> items =
      qualitative_items(set, chains.chains, chains.scores, image_count);
  write_chains(options, items, model, candidates.size(), context.threads(), result);
  result.timer().done("outputs");

  add_chain_metrics(items, result);
  result.metrics()["candidates"] = candidates.size();
  result.metrics()["steps"] = options.retrieval.steps;
  result.metrics()["rmin"] = chains.rmin;
  result.metrics()["rmax"] = chains.rmax;
  result.set("root", options.root.to_json());
  model.report(result);
  spdlog::info("predicted chains of {} images over {} candidate texts -> {}", items.size(),
               candidates.size(), result.run_dir().string());
}

bool is_hierarcaps_csv(const fs::path& csv) {
  const CsvReader reader(csv);
  return reader.find_column("captions") && reader.find_column("image_url");
}

void run_crossmodal(const RetrieveOptions& options, RunContext& context, RunResult& result) {
  const bool hierarcaps = is_hierarcaps_csv(options.data.csv);
  const ImageCaptions data =
      hierarcaps ? hierarcaps_image_captions(load_set(options), options.tier)
                 : load_image_captions(options.data.csv, options.image_column,
                                       options.caption_column, options.data.images);
  result.timer().done("load_data");
  ModelSession model(options.model, context.compute, result);
  const at::Tensor texts = model.engine().embed_texts(data.captions);
  result.timer().done("embed_texts");
  const at::Tensor images = model.engine().embed_images(data.images);
  result.timer().done("embed_images");
  const at::Device device = compute_device(context.compute);
  const CrossModalRecall recall =
      crossmodal_recall(texts.to(device), images.to(device), data.image_of_caption, options.ks);
  result.timer().done("metric");

  json metrics = crossmodal_json(recall);
  metrics["format"] = hierarcaps ? "hierarcaps" : "captions";
  if (hierarcaps) metrics["tier"] = options.tier;
  for (auto& [key, value] : metrics.items()) result.metrics()[key] = value;
  model.report(result);
  log_crossmodal(recall, fmt::format("{} captions, {} images", recall.captions, recall.images));
}

}  // namespace

void RetrieveOptions::declare(ConfigSchema& schema) {
  schema.add("mode", mode, "hierarchical (metrics), qualitative (chains over candidates) or "
                           "crossmodal (R@K)")
      .one_of(kModes)
      .flag("--mode");
  model.declare(schema, "model");
  schema.add("embeddings.file", embeddings,
             "precomputed embeddings (text [rows,4,D], image [images,D], root [D]) instead of "
             "a model")
      .check([](const fs::path& p) { return p.empty() || detail::path_exists(p); },
             "an existing .safetensors file")
      .flag("--embeddings");
  data.declare(schema, "data");
  retrieval.declare(schema, "retrieval");
  root.declare(schema, "root");
  schema.add("baselines.random_init", random_init,
             "also report d_corr of a randomly initialised model of the same architecture");
  schema.add("baselines.random_seed", random_seed, "seed of that random model").check_non_negative();
  schema.add("crossmodal.ks", ks, "K values of Recall@K").check_positive();
  schema.add("crossmodal.tier", tier, "HierarCaps tier used as the caption (1 general .. 4)")
      .check_range(1, 4);
  schema.add("crossmodal.image_column", image_column, "image column of a non-HierarCaps CSV");
  schema.add("crossmodal.caption_column", caption_column, "caption column of a non-HierarCaps CSV");
  schema.add("qualitative.candidates", candidates,
             "candidate texts: a HierarCaps pairs CSV (hierarcaps_test_expanded.csv.gz)")
      .flag("--candidates");
  schema.add("qualitative.max_images", max_images, "images in the report (0 = all)")
      .check_non_negative();
  schema.add("qualitative.max_candidates", max_candidates,
             "use only the first N distinct candidate texts (0 = all)")
      .check_non_negative();
  schema.add("qualitative.html", html, "also write the HTML page");
  schema.add("qualitative.thumbnail_size", thumbnail_size, "longest side of thumbnails, pixels")
      .check_positive();
  schema.add("output.per_item", per_item,
             "include the levels, per-image and per-row values in the result JSON");
  schema.add("output.per_image_jsonl", per_image_jsonl, "write per_image.jsonl beside the result");
  schema.add("synthetic.write_to", write_synthetic,
             "write a small synthetic HierarCaps sample (images + CSV) into this folder, print "
             "the CSV's path and exit")
      .flag("--write-synthetic");
  declare_shard(schema, shard);
}

void RetrieveOptions::validate() const {
  const bool has_model = !model.path.empty();
  if (mode == "hierarchical") {
    if (!has_model && embeddings.empty()) {
      throw usage_error("mode hierarchical needs a model (--model, model.path) or embeddings "
                        "(--embeddings, embeddings.file)");
    }
    if (embeddings.empty() && data.images.empty()) {
      throw usage_error("data.images: the image folder is needed to embed the images (--images); "
                        "only an embeddings file (--embeddings) does without it");
    }
  } else {
    if (!has_model) throw usage_error("mode {} needs a model (--model, model.path)", mode);
    if (!embeddings.empty()) {
      throw usage_error("embeddings.file is used by mode hierarchical only, not by mode {}", mode);
    }
  }
  if (mode == "qualitative") {
    if (candidates.empty()) {
      throw usage_error("mode qualitative needs qualitative.candidates (--candidates), e.g. "
                        "hierarcaps_test_expanded.csv.gz");
    }
    if (data.images.empty()) {
      throw usage_error("mode qualitative needs the image folder (--images, data.images)");
    }
  }
  if (!shard.empty() && (mode != "hierarchical" || !has_model || !embeddings.empty())) {
    throw usage_error("shard (--shard {}) fills the embedding cache for mode hierarchical with a "
                      "model (--model), without embeddings.file", shard);
  }
  if (random_init && !has_model) {
    throw usage_error("baselines.random_init needs the model whose architecture it copies "
                      "(--model, model.path)");
  }
}

void run_retrieve(const RetrieveOptions& options, RunContext& context, RunResult& result) {
  if (!options.write_synthetic.empty()) {
    std::cout << write_synthetic_hierarcaps(options.write_synthetic).csv.string() << std::endl;
    result.discard();  // a preparation step, not a run to record
    return;
  }
  options.validate();
  if (options.mode == "qualitative") {
    run_qualitative(options, context, result);
  } else if (options.mode == "crossmodal") {
    run_crossmodal(options, context, result);
  } else {
    run_hierarchical(options, context, result);
  }
}

}  // namespace hc
