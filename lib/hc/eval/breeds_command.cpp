#include "hc/eval/breeds_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <limits>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/data/synthetic_breeds.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/model_session.h"
#include "hc/eval/breeds_pairs.h"
#include "hc/eval/lambda_cross_validation.h"
#include "hc/eval/two_label_prompts.h"
#include "hc/model/clip_bundle.h"
#include "hc/tool/compute_context.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// The subset, its labels and its images, each with its ground-truth pair.
struct BreedsData {
  BreedsSubset subset;
  ClassImages images;
  std::vector<std::string> labels;      // superclasses first, then subclasses
  std::vector<fs::path> files;          // subclass by subclass
  std::vector<std::string> wnids;       // per file
  std::vector<int64_t> truth_general;   // per file: the superclass's label index
  std::vector<int64_t> truth_specific;  // per file: the subclass's label index
};

BreedsData load_data(const BreedsCommandOptions& options) {
  BreedsData data;
  data.subset = load_breeds_subset(options.breeds);
  data.labels = data.subset.labels();
  const ImageNetClasses classes =
      read_imagenet_classes(options.breeds.hierarchy_folder() / "dataset_class_info.json");
  std::vector<std::string> wnids, names;
  for (const auto& [subclass, super] : data.subset.subclasses()) {
    wnids.push_back(subclass->wnid);
    names.push_back(subclass->name);
  }
  data.images = find_class_images(options.images, wnids, names, classes);
  const auto superclasses = static_cast<int64_t>(data.subset.superclasses.size());
  int64_t label = superclasses;
  for (const auto& [subclass, super] : data.subset.subclasses()) {
    for (const fs::path& file : data.images.images.at(subclass->wnid)) {
      data.files.push_back(file);
      data.wnids.push_back(subclass->wnid);
      data.truth_general.push_back(static_cast<int64_t>(super));
      data.truth_specific.push_back(label);
    }
    ++label;
  }
  return data;
}

struct Embedded {
  at::Tensor labels;  // [L, D] unit
  at::Tensor images;  // [N, D] unit
  at::Tensor root;    // [D]
};

Embedded embed(const BreedsCommandOptions& options, ModelSession& session, const BreedsData& data,
               RunResult& result) {
  EmbeddingEngine& engine = session.engine();
  const PromptTemplates templates = options.prompt.load();
  if (templates.size() == 1) {
    spdlog::warn("labels are embedded in one prompt ('{}'); the paper uses the 80-template "
                 "ensemble (prompt.templates_file, as configs/eval/breeds.yaml sets)",
                 templates.templates().front());
  }
  Embedded embedded;
  embedded.labels = embed_with_templates(templates, data.labels, [&](const std::vector<std::string>& texts) {
    return engine.embed_texts(texts);
  });
  result.timer().done("embed_labels");
  RootSources sources;
  sources.empty_text_embedding = [&] { return engine.embed_texts({std::string()}); };
  sources.embeddings = [&] { return embedded.labels; };
  sources.dim = embedded.labels.size(1);
  embedded.root = make_root(options.root, sources);
  embedded.images = engine.embed_images(data.files);
  result.timer().done("embed_images");
  return embedded;
}

std::vector<uint8_t> hits_below(const at::Tensor& above, int64_t k) {
  const at::Tensor hits = (above < k).to(at::kByte).contiguous();
  return std::vector<uint8_t>(hits.data_ptr<uint8_t>(), hits.data_ptr<uint8_t>() + hits.numel());
}

double mean_hits(const at::Tensor& above, int64_t k) {
  return above.numel() == 0 ? 0.0 : (above < k).to(at::kDouble).mean().item<double>();
}

struct GeometryScores {
  LabelPairs pairs;
  LambdaGrid grid;
  at::Tensor above;           // [N, G]
  at::Tensor above_no_angle;  // [N, 1], lambda = 0
  TwoFoldSplit split;
  std::vector<CrossValidated> per_k;
};

GeometryScores score_geometry(const BreedsCommandOptions& options, const BreedsData& data,
                              const Embedded& embedded, const at::Device& device) {
  GeometryScores scores;
  scores.pairs = admissible_pairs(embedded.labels, embedded.root);
  scores.grid = LambdaGrid::linspace(options.lambda_min, options.lambda_max, options.lambda_count);
  const at::Tensor similarities = at::matmul(embedded.images.to(device), embedded.labels.to(device).t());
  const at::Tensor general = at::tensor(data.truth_general, at::kLong);
  const at::Tensor specific = at::tensor(data.truth_specific, at::kLong);
  scores.above = pairs_above_truth(similarities, general, specific, scores.pairs, scores.grid);
  scores.above_no_angle = scores.grid.first == 0.0
                              ? scores.above.narrow(1, 0, 1)
                              : pairs_above_truth(similarities, general, specific, scores.pairs,
                                                  LambdaGrid::single(0.0));
  scores.split = two_fold_split(data.files.size(), static_cast<uint64_t>(options.seed));
  for (int k : options.ks) {
    scores.per_k.push_back(cross_validate(hits_below(scores.above, k), scores.grid.values(), scores.split));
  }
  return scores;
}

json geometry_metrics(const BreedsCommandOptions& options, const BreedsData& data,
                      const GeometryScores& scores) {
  json metrics;
  const std::vector<double> lambdas = scores.grid.values();
  const auto m = static_cast<double>(scores.pairs.size());
  json cross = {{"lambdas", lambdas},
                {"seed", options.seed},
                {"fold_sizes", {scores.split.folds[0].size(), scores.split.folds[1].size()}}};
  json per_lambda = {{"lambda", lambdas}};
  json chance = json::object(), no_angle = json::object();
  for (std::size_t i = 0; i < options.ks.size(); ++i) {
    const std::string name = fmt::format("R@{}", options.ks[i]);
    metrics[name] = scores.per_k[i].score;
    cross[name] = cross_validated_json(scores.per_k[i]);
    per_lambda[name] = column_means(hits_below(scores.above, options.ks[i]), lambdas.size());
    chance[name] = m > 0 ? std::min(1.0, options.ks[i] / m) : 0.0;
    no_angle[name] = mean_hits(scores.above_no_angle, options.ks[i]);
  }
  const double admissible =
      (scores.above.select(1, 0) != std::numeric_limits<int64_t>::max()).to(at::kDouble).mean().item<double>();
  metrics["cross_validation"] = cross;
  metrics["per_lambda"] = per_lambda;
  metrics["baselines"] = {
      {"chance", chance},
      {"no_angle", no_angle},
      {"truth_admissible", admissible}};
  metrics["counts"] = {{"images", data.files.size()},
                       {"superclasses", data.subset.superclasses.size()},
                       {"subclasses", data.subset.num_subclasses()},
                       {"labels", data.labels.size()},
                       {"admissible_pairs", scores.pairs.size()},
                       {"images_of_other_classes", data.images.other_classes}};
  return metrics;
}

json single_prompt_metrics(const BreedsCommandOptions& options, const BreedsData& data,
                           ModelSession& session, const Embedded& embedded,
                           const at::Device& device, RunResult& result) {
  json baselines = json::object();
  const auto labels = static_cast<int64_t>(data.labels.size());
  std::vector<int64_t> truth;
  for (std::size_t i = 0; i < data.files.size(); ++i) {
    truth.push_back(ordered_pair_position(data.truth_general[i], data.truth_specific[i], labels));
  }
  const at::Tensor truth_positions = at::tensor(truth, at::kLong);
  for (const std::string& tmpl : options.single_prompt_templates) {
    const std::vector<std::string> prompts = two_label_prompts(tmpl, data.labels);
    spdlog::info("single-prompt baseline '{}': {} prompts", tmpl, prompts.size());
    const at::Tensor text = session.engine().embed_texts(prompts);
    const at::Tensor above =
        prompts_above_truth(embedded.images.to(device), text.to(device), truth_positions);
    json entry{{"prompts", prompts.size()}};
    for (int k : options.ks) entry[fmt::format("R@{}", k)] = mean_hits(above, k);
    baselines[tmpl] = entry;
  }
  result.timer().done("single_prompt");
  return baselines;
}

void write_per_image(const BreedsData& data, const GeometryScores& scores,
                     const at::Tensor& similarities, RunResult& result) {
  // Each image's predictions at the lambda it was reported with: R@1's choice on the other fold.
  std::vector<double> lambda(data.files.size());
  std::vector<int> fold(data.files.size());
  const CrossValidated& r1 = scores.per_k.front();
  for (std::size_t f = 0; f < 2; ++f) {
    for (std::size_t i : scores.split.folds[f]) {
      lambda[i] = r1.folds[1 - f].value;
      fold[i] = static_cast<int>(f) + 1;
    }
  }
  const at::Tensor top = top_pairs(similarities, scores.pairs, lambda, 5);
  const fs::path path = result.artefact_path("per_image.jsonl");
  AtomicFile file(path);
  for (std::size_t i = 0; i < data.files.size(); ++i) {
    json predicted = json::array();
    for (int64_t j = 0; j < top.size(1); ++j) {
      const int64_t p = top[static_cast<int64_t>(i)][j].item<int64_t>();
      predicted.push_back({data.labels[scores.pairs.general[p].item<int64_t>()],
                           data.labels[scores.pairs.specific[p].item<int64_t>()]});
    }
    const int64_t above = scores.above[static_cast<int64_t>(i)][0].item<int64_t>();
    json row{{"file", data.files[i].string()},
             {"wnid", data.wnids[i]},
             {"truth", {data.labels[data.truth_general[i]], data.labels[data.truth_specific[i]]}},
             {"fold", fold[i]},
             {"lambda", lambda[i]},
             {"truth_admissible", above != std::numeric_limits<int64_t>::max()},
             {"top5", predicted}};
    file.stream() << row.dump() << '\n';
  }
  file.commit();
  result.add_artefact(path, "per image: truth pair, fold, lambda applied and the top-5 predicted pairs");
}

}  // namespace

void BreedsCommandOptions::declare(ConfigSchema& schema) {
  breeds.declare(schema, "breeds");
  schema.add("breeds.ks", ks, "K values of R@K for the ground-truth (coarse, fine) pair")
      .check_positive()
      .check_non_empty();
  images.declare(schema, "images");
  prompt.declare(schema, "prompt");
  root.declare(schema, "root");
  model.declare(schema, "model");
  schema.add("lambda.min", lambda_min, "smallest lambda of the cross-validated grid").check_non_negative();
  schema.add("lambda.max", lambda_max, "largest lambda of the grid (equally spaced, both ends included)")
      .check_non_negative();
  schema.add("lambda.count", lambda_count, "number of lambda values (the paper: 20)").check_positive();
  schema.add("lambda.seed", seed, "seed of the two folds' shuffle").check_non_negative();
  schema.add("single_prompt.templates", single_prompt_templates,
             "Table 7 baseline: two-field prompts, {0} the general label and {1} the specific "
             "(empty = not run; every ordered label pair is embedded)")
      .check_each([](const std::string& t) {
        try {
          check_two_label_template(t, "single_prompt.templates");
          return true;
        } catch (const Error&) {
          return false;
        }
      }, "a template with exactly two fields ({0} general, {1} specific)");
  schema.add("output.per_image_jsonl", per_image,
             "write per_image.jsonl (truth, fold, top-5 predicted pairs) beside the result");
  schema.add("synthetic.write_to", write_synthetic,
             "write a synthetic 4-superclass BREEDS stand-in (subsets.json, hierarchy, "
             "ImageNet-style val/ folder) into this folder, print its subsets file and exit")
      .flag("--write-synthetic");
}

void run_breeds(const BreedsCommandOptions& options, RunContext& context, RunResult& result) {
  if (!options.write_synthetic.empty()) {
    std::cout << write_synthetic_breeds(options.write_synthetic).subsets.string() << std::endl;
    result.discard();
    return;
  }
  if (options.lambda_max < options.lambda_min) {
    throw usage_error("lambda.max ({}) is below lambda.min ({})", options.lambda_max, options.lambda_min);
  }
  if (options.model.path.empty()) throw usage_error("hc-eval-breeds needs a model (--model, model.path)");
  const BreedsData data = load_data(options);
  spdlog::info("BREEDS {} (split {}): {} superclasses, {} subclasses, {} images ({})",
               data.subset.name, data.subset.split, data.subset.superclasses.size(),
               data.subset.num_subclasses(), data.files.size(), data.images.layout);
  result.timer().done("load_data");

  ModelSession session(options.model, context.compute, result);
  const Embedded embedded = embed(options, session, data, result);
  const at::Device device = compute_device(context.compute);
  const GeometryScores scores = score_geometry(options, data, embedded, device);
  result.timer().done("score");

  json metrics = geometry_metrics(options, data, scores);
  if (!options.single_prompt_templates.empty()) {
    metrics["baselines"]["single_prompt"] =
        single_prompt_metrics(options, data, session, embedded, device, result);
  }
  if (options.per_image) {
    write_per_image(data, scores, at::matmul(embedded.images, embedded.labels.t()), result);
  }
  for (auto& [key, value] : metrics.items()) result.metrics()[key] = value;
  result.set("dataset", {{"subset", data.subset.name},
                         {"split", data.subset.split},
                         {"subsets_file", data.subset.source.string()},
                         {"images", data.images.layout},
                         {"labels", data.labels}});
  const PromptTemplates templates = options.prompt.load();
  result.set("prompt", {{"source", templates.source()}, {"templates", templates.size()}});
  result.set("root", options.root.to_json());
  session.report(result);
  std::string summary;
  for (int k : options.ks) {
    summary += fmt::format(" R@{} {:.4f}", k, metrics[fmt::format("R@{}", k)].get<double>());
  }
  const std::string first_k = fmt::format("R@{}", options.ks.front());
  spdlog::info("BREEDS {}:{} (lambda = 0: {} {:.4f}; chance {:.2e}; {} admissible pairs) in {:.1f} s",
               data.subset.name, summary, first_k,
               metrics["baselines"]["no_angle"][first_k].get<double>(),
               metrics["baselines"]["chance"][first_k].get<double>(), scores.pairs.size(),
               result.elapsed_s());
}

}  // namespace hc
