#include "hc/eval/zeroshot_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <optional>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hc/core/config.h"
#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/data/cifar_binary.h"
#include "hc/data/classification_prompts.h"
#include "hc/data/imagenet_images.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/model_session.h"
#include "hc/eval/classification_report.h"
#include "hc/text/prompt_templates.h"
#include "hc/tool/compute_context.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// A scratch folder removed with everything in it when the object goes away.
class ScratchFolder {
 public:
  ScratchFolder() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / fmt::format("hc-zeroshot-{}-{}", ::getpid(), counter++);
  }
  ~ScratchFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The labelled images and their class levels, most general first; the last level is the one
// the images are labelled with.
struct Dataset {
  std::string source;
  std::vector<fs::path> files;
  std::vector<int64_t> finest;  // per image
  std::vector<std::string> level_names;
  std::vector<std::vector<std::string>> classes;      // per level
  std::vector<std::vector<int64_t>> from_finest;      // per level: finest class -> its class
  std::vector<std::string> templates;
  std::string templates_source;
  std::unique_ptr<ScratchFolder> scratch;  // CIFAR's images as PNG files
};

void one_level(Dataset& data, const std::vector<std::string>& classes, const std::string& name) {
  data.level_names = {name};
  data.classes = {classes};
  std::vector<int64_t> identity(classes.size());
  for (std::size_t i = 0; i < identity.size(); ++i) identity[i] = static_cast<int64_t>(i);
  data.from_finest = {identity};
}

void hierarchy_levels(Dataset& data, const ClassHierarchy& hierarchy,
                      const std::vector<int64_t>& finest_of_class) {
  const int64_t levels = hierarchy.num_levels();
  for (int64_t level = 0; level < levels; ++level) {
    data.level_names.push_back(hierarchy.levels()[level].name);
    data.classes.push_back(hierarchy.levels()[level].classes);
    std::vector<int64_t> map;
    for (int64_t c : finest_of_class) map.push_back(hierarchy.chain_of(c)[level]);
    data.from_finest.push_back(map);
  }
}

void load_templates(const ZeroShotOptions& options, const std::string& section, Dataset& data,
                    std::vector<std::string>* section_classes) {
  if (!options.prompts.empty() && !section.empty()) {
    const ClassificationPrompts prompts = read_classification_prompts(options.prompts, section);
    data.templates = prompts.templates;
    data.templates_source = options.prompts.string() + " ## " + section;
    if (section_classes) *section_classes = prompts.classes;
  }
  if (!options.templates_file.empty()) {
    data.templates = PromptTemplates::load(options.templates_file).templates();
    data.templates_source = options.templates_file.string();
  }
  if (data.templates.empty()) {
    spdlog::warn("no prompt templates (prompts.file with prompts.dataset, or "
                 "prompts.templates_file): using 'a photo of a {{}}.'");
    data.templates = {"a photo of a {}."};
    data.templates_source = "default";
  }
}

Dataset load_cifar(const ZeroShotOptions& options) {
  const CifarKind kind = parse_cifar_kind(options.dataset);
  if (options.cifar.empty()) throw usage_error("zeroshot.dataset {} needs the binary file (--cifar)", options.dataset);
  if (options.prompts.empty()) {
    throw usage_error("zeroshot.dataset {} takes its class names from CLIP's prompts.md (--prompts)",
                      options.dataset);
  }
  Dataset data;
  data.source = options.cifar.string();
  const CifarImages images = read_cifar_binary(options.cifar, kind);
  std::vector<std::string> fine;
  const std::string section = !options.prompts_dataset.empty() ? options.prompts_dataset
                              : kind == CifarKind::Cifar10     ? "CIFAR10"
                                                               : "CIFAR100";
  load_templates(options, section, data, &fine);
  const std::size_t expected = kind == CifarKind::Cifar10 ? 10 : 100;
  if (fine.size() != expected) {
    throw runtime_error("{} ## {}: {} class names, {} has {} classes", options.prompts.string(),
                        section, fine.size(), options.dataset, expected);
  }
  data.finest = images.fine;
  const fs::path coarse_file = !options.coarse_names.empty()
                                   ? options.coarse_names
                                   : options.cifar.parent_path() / "coarse_label_names.txt";
  if (kind == CifarKind::Cifar100 && fs::exists(coarse_file)) {
    std::vector<int64_t> parent(100, -1);
    for (std::size_t i = 0; i < images.size(); ++i) {
      int64_t& p = parent[images.fine[i]];
      if (p >= 0 && p != images.coarse[i]) {
        throw runtime_error("{}: fine class {} has coarse labels {} and {}", data.source,
                            images.fine[i], p, images.coarse[i]);
      }
      p = images.coarse[i];
    }
    for (std::size_t f = 0; f < parent.size(); ++f) {
      if (parent[f] < 0) throw runtime_error("{}: no image of fine class {} ('{}')", data.source, f, fine[f]);
    }
    const ClassHierarchy hierarchy =
        class_hierarchy_from_parents(read_class_names(coarse_file), fine, parent, coarse_file.string());
    std::vector<int64_t> finest(100);
    for (std::size_t f = 0; f < finest.size(); ++f) finest[f] = static_cast<int64_t>(f);
    hierarchy_levels(data, hierarchy, finest);
  } else {
    if (kind == CifarKind::Cifar100) {
      spdlog::warn("{}: no coarse class names ({}): the coarse level is not reported",
                   data.source, coarse_file.string());
    }
    one_level(data, fine, "fine");
  }
  data.scratch = std::make_unique<ScratchFolder>();
  data.files = write_cifar_pngs(images, data.scratch->path());
  return data;
}

Dataset load_folder(const ZeroShotOptions& options) {
  if (options.images.empty()) throw usage_error("zeroshot.dataset folder needs the image folder (--images)");
  if (!fs::is_directory(options.images)) throw runtime_error("{}: no such image folder", options.images.string());
  Dataset data;
  data.source = options.images.string();
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(options.images)) {
    if (entry.is_directory()) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  if (folders.empty()) throw runtime_error("{}: no class folders", options.images.string());
  std::vector<std::string> names;
  for (std::size_t c = 0; c < folders.size(); ++c) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folders[c])) {
      if (entry.is_regular_file() && is_image_file_name(entry.path())) files.push_back(entry.path());
    }
    if (files.empty()) throw runtime_error("{}: no images in the class folder", folders[c].string());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      data.files.push_back(file);
      data.finest.push_back(static_cast<int64_t>(c));
    }
    names.push_back(options.hierarchy.empty() ? folders[c].filename().string()
                                              : normalize_class_name(folders[c].filename().string()));
    if (options.hierarchy.empty()) std::replace(names.back().begin(), names.back().end(), '_', ' ');
  }
  load_templates(options, options.prompts_dataset, data, nullptr);
  if (options.hierarchy.empty()) {
    one_level(data, names, "class");
    return data;
  }
  const ClassHierarchy hierarchy = read_class_hierarchy(options.hierarchy, options.hierarchy_options);
  const int64_t finest_level = hierarchy.num_levels() - 1;
  std::vector<int64_t> finest_of_folder;
  for (const auto& name : names) finest_of_folder.push_back(hierarchy.find(finest_level, name));
  hierarchy_levels(data, hierarchy, finest_of_folder);
  // The finest level's classes are the folders (a hierarchy may list classes the folder lacks).
  data.classes.back() = names;
  std::vector<int64_t> identity(names.size());
  for (std::size_t i = 0; i < identity.size(); ++i) identity[i] = static_cast<int64_t>(i);
  data.from_finest.back() = identity;
  return data;
}

at::Tensor class_embeddings(const Dataset& data, const std::vector<std::string>& classes,
                            EmbeddingEngine& engine) {
  const PromptTemplates templates = PromptTemplates::from_list(data.templates, data.templates_source);
  return embed_with_templates(templates, classes,
                              [&](const std::vector<std::string>& texts) { return engine.embed_texts(texts); });
}

json level_json(const ZeroShotOptions& options, const Dataset& data, std::size_t level,
                const at::Tensor& images, const at::Tensor& finest_logits, EmbeddingEngine& engine) {
  const std::vector<int64_t>& map = data.from_finest[level];
  std::vector<int64_t> truth;
  for (int64_t f : data.finest) truth.push_back(map[f]);
  json entry{{"classes", data.classes[level].size()}};
  const bool finest = level + 1 == data.classes.size();
  if (!finest) {
    const at::Tensor top = finest_logits.argmax(1).contiguous();
    std::vector<int64_t> predicted;
    for (int64_t i = 0; i < top.numel(); ++i) predicted.push_back(map[top.data_ptr<int64_t>()[i]]);
    entry["from_finest"] = classification_report_json(
        prediction_report(predicted, truth, data.classes[level], options.confusions));
  }
  const at::Tensor logits =
      finest ? finest_logits : at::matmul(images, class_embeddings(data, data.classes[level], engine).t());
  entry["direct"] = classification_report_json(
      classification_report(logits, truth, data.classes[level], options.ks, options.confusions));
  return entry;
}

}  // namespace

void ZeroShotOptions::declare(ConfigSchema& schema) {
  schema.add("zeroshot.dataset", dataset, "folder (<class>/<images>), cifar10 or cifar100 (binary format)")
      .one_of({"folder", "cifar10", "cifar100"})
      .flag("--dataset");
  schema.add("zeroshot.ks", ks, "top-k accuracies to report").check_positive().check_non_empty();
  schema.add("zeroshot.confusions", confusions, "most frequent mistakes listed per level").check_non_negative();
  schema.add("data.images", images, "folder of class folders (dataset folder)").flag("--images");
  schema.add("data.cifar", cifar, "CIFAR binary file: test_batch.bin (CIFAR-10), test.bin (CIFAR-100)")
      .flag("--cifar");
  schema.add("data.coarse_names", coarse_names,
             "CIFAR-100 coarse class names, one a line; empty = coarse_label_names.txt beside the file");
  schema.add("data.hierarchy", hierarchy,
             "HGCLIP hierarchy file ('fine, coarse' lines) for a folder dataset: per-level results")
      .flag("--hierarchy");
  hierarchy_options.declare(schema, "hierarchy");
  schema.add("prompts.file", prompts, "CLIP's prompts.md (class names and templates per dataset)")
      .flag("--prompts");
  schema.add("prompts.dataset", prompts_dataset,
             "its section (e.g. CIFAR10, Food101); empty = CIFAR10 / CIFAR100 for those datasets");
  schema.add("prompts.templates_file", templates_file,
             "templates file (one a line) replacing the section's templates");
  model.declare(schema, "model");
  schema.add("synthetic.write_cifar", write_synthetic,
             "write a synthetic CIFAR file of zeroshot.dataset's kind (names files beside it), "
             "print its path and exit")
      .flag("--write-synthetic");
}

void run_zeroshot(const ZeroShotOptions& options, RunContext& context, RunResult& result) {
  if (!options.write_synthetic.empty()) {
    const CifarKind kind = parse_cifar_kind(options.dataset == "folder" ? "cifar10" : options.dataset);
    const fs::path file = write_synthetic_cifar(options.write_synthetic, kind,
                                                kind == CifarKind::Cifar10 ? 200 : 400);
    if (kind == CifarKind::Cifar100) {
      std::string names;
      for (int c = 0; c < 20; ++c) names += fmt::format("superclass_{}\n", c);
      write_file_atomically(file.parent_path() / "coarse_label_names.txt", names);
    }
    std::cout << file.string() << std::endl;
    result.discard();
    return;
  }
  if (options.model.path.empty()) throw usage_error("hc-eval-zeroshot needs a model (--model, model.path)");
  const Dataset data = options.dataset == "folder" ? load_folder(options) : load_cifar(options);
  spdlog::info("{}: {} images, {} classes, {} level{}, {} prompt template{}", data.source,
               data.files.size(), data.classes.back().size(), data.classes.size(),
               data.classes.size() == 1 ? "" : "s", data.templates.size(),
               data.templates.size() == 1 ? "" : "s");
  result.timer().done("load_data");

  ModelSession session(options.model, context.compute, result);
  const at::Device device = compute_device(context.compute);
  const at::Tensor text = class_embeddings(data, data.classes.back(), session.engine());
  result.timer().done("embed_classes");
  const at::Tensor images = session.engine().embed_images(data.files).to(device);
  result.timer().done("embed_images");
  const at::Tensor finest_logits = at::matmul(images, text.to(device).t()).cpu();

  json levels = json::object();
  for (std::size_t level = data.classes.size(); level-- > 0;) {
    levels[data.level_names[level]] = level_json(options, data, level, images.cpu(), finest_logits,
                                                 session.engine());
  }
  result.timer().done("score");
  const json& finest = levels[data.level_names.back()]["direct"];
  for (int k : options.ks) result.metrics()[fmt::format("top{}", k)] = finest[fmt::format("top{}", k)];
  result.metrics()["mean_per_class"] = finest["mean_per_class"];
  result.metrics()["levels"] = levels;
  result.set("dataset", {{"kind", options.dataset}, {"source", data.source}, {"images", data.files.size()},
                         {"levels", data.level_names}});
  result.set("prompt", {{"source", data.templates_source}, {"templates", data.templates.size()}});
  session.report(result);
  spdlog::info("zero-shot {}: top-1 {:.4f} over {} images, {} classes", options.dataset,
               finest["top1"].is_number() ? finest["top1"].get<double>() : 0.0, data.files.size(),
               data.classes.back().size());
}

}  // namespace hc
