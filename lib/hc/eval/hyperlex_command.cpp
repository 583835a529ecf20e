#include "hc/eval/hyperlex_command.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <optional>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/model_session.h"
#include "hc/eval/hyperlex.h"
#include "hc/eval/hyperlex_scores.h"
#include "hc/model/clip_bundle.h"
#include "hc/tensor/device.h"
#include "hc/core/tool.h"
#include "hc/tool/compute_context.h"

namespace hc {
namespace {

using nlohmann::ordered_json;

// What the scores are computed from, whichever way the words were embedded.
struct EmbeddedWords {
  at::Tensor words;  // [set.words.size(), D]
  at::Tensor root;   // [D]
  ordered_json model;
  ordered_json prompt;
  ordered_json root_info;
  ordered_json embedding;     // the engine's counters (null without a model)
};

EmbeddedWords embed_with_model(const HyperLexCommandOptions& options, RunContext& context,
                               const HyperLexSet& set, RunResult& result) {
  const PromptTemplates templates = options.prompt.load();
  ModelSession session(options.model, context.compute, result);
  EmbeddingEngine& engine = session.engine();
  spdlog::info("embedding {} words in {} prompt template{} with {}", set.words.size(),
               templates.size(), templates.size() == 1 ? "" : "s",
               session.bundle().identity.name);

  EmbeddedWords embedded;
  // Float64 from here on, so the root (empty or mean) is normalised in float64 like the words.
  embedded.words = embed_with_templates(templates, set.words,
                                        [&](const std::vector<std::string>& texts) {
                                          return engine.embed_texts(texts);
                                        })
                       .to(at::kDouble);
  RootSources sources;
  // The root is the embedding of "" itself, never of the prompt around an empty word.
  sources.empty_text_embedding = [&] {
    return engine.embed_texts({std::string()}).to(at::kDouble);
  };
  sources.embeddings = [&] { return embedded.words; };
  sources.dim = embedded.words.size(1);
  embedded.root = make_root(options.root, sources);

  embedded.model = session.identity_json();
  embedded.prompt = {{"templates", templates.templates()},
                     {"source", templates.source()},
                     {"ensemble", templates.size() > 1}};
  embedded.root_info = options.root.to_json();
  embedded.embedding = session.embedding_json();
  return embedded;
}

EmbeddedWords read_embeddings(const HyperLexCommandOptions& options, const HyperLexSet& set) {
  const WordEmbeddings loaded = load_word_embeddings(options.embeddings);
  EmbeddedWords embedded;
  // Float64 from here on: the reference renormalises the stored float32 vectors in float64.
  embedded.words = loaded.rows(set.words).to(at::kDouble);
  RootSources sources;
  if (loaded.root) {
    sources.empty_text_embedding = [&] { return loaded.root->to(at::kDouble); };
  } else {
    sources.empty_text_embedding = [&]() -> at::Tensor {
      throw runtime_error(
          "{}: root mode empty needs the root vector as tensor '{}' in the embeddings file; set "
          "embeddings.root_tensor, or root.mode to origin, mean or file",
          loaded.file.string(), options.embeddings.root_tensor);
    };
  }
  sources.embeddings = [&] { return embedded.words; };
  sources.dim = embedded.words.size(1);
  embedded.root = make_root(options.root, sources);
  embedded.model = {{"embeddings", loaded.file.string()},
                    {"tensor", loaded.tensor},
                    {"words", options.embeddings.words.string()},
                    {"rows", loaded.words.size()},
                    {"dim", embedded.words.size(1)}};
  // The words were embedded by whoever made the file: the prompt is theirs, unknown here.
  embedded.prompt = nullptr;
  embedded.root_info = options.root.to_json();
  if (options.root.resolved().mode == "empty") embedded.root_info["tensor"] = options.embeddings.root_tensor;
  return embedded;
}

void write_scores(RunResult& result, const HyperLexSet& set, const std::vector<double>& gold,
                  const std::vector<std::pair<std::string, std::vector<double>>>& scores) {
  std::string lines;
  for (std::size_t i = 0; i < set.pairs.size(); ++i) {
    const HyperLexPair& pair = set.pairs[i];
    ordered_json row{{"line", pair.line}, {"word1", pair.word1}, {"word2", pair.word2},
                     {"pos", pair.pos},   {"type", pair.type},   {"gold", gold[i]}};
    for (const auto& [name, values] : scores) row[name] = values[i];
    lines += row.dump() + "\n";
  }
  const auto path = result.artefact_path("scores.jsonl");
  write_file_atomically(path, lines);
  result.add_artefact(path, "per-pair gold rating and scores (file order), one JSON object a line");
}

}  // namespace

void HyperLexCommandOptions::declare(ConfigSchema& schema) {
  data.declare(schema, "hyperlex");
  schema.add("hyperlex.baselines", baselines,
             "baseline scorers reported beside the exterior angle: cosine, genericness")
      .one_of({"cosine", "genericness"});
  schema.add("hyperlex.write_scores", write_scores,
             "write every pair's scores to scores.jsonl beside the result");
  prompt.declare(schema, "prompt");
  root.declare(schema, "root");
  model.declare(schema, "model");
  embeddings.declare(schema, "embeddings");
}

void run_hyperlex(const HyperLexCommandOptions& options, RunContext& context, RunResult& result) {
  const bool with_model = !options.model.path.empty();
  const bool with_embeddings = !options.embeddings.file.empty();
  if (with_model == with_embeddings) {
    throw usage_error(
        "hc-eval-hyperlex: {}", with_model
            ? "give a model (--model) or embeddings (--embeddings), not both"
            : "nothing to embed with: give a model (--model / model.path) or embeddings "
              "(--embeddings FILE.safetensors --words WORDS.json)");
  }
  const HyperLexSet set = load_hyperlex(options.data);
  const std::vector<double> gold = set.gold(options.data.gold);
  std::vector<HyperLexScorer> baselines;
  for (const auto& name : options.baselines) baselines.push_back(parse_hyperlex_scorer(name));
  const std::size_t nouns = set.count_pos("N"), verbs = set.count_pos("V");
  spdlog::info("{}: {} pairs ({} nouns, {} verbs), {} distinct words", set.source.string(),
               set.pairs.size(), nouns, verbs, set.words.size());
  result.timer().done("load_data");

  const EmbeddedWords embedded = with_model ? embed_with_model(options, context, set, result)
                                            : read_embeddings(options, set);
  // Embedding the words and the root with the model, or reading the embeddings file.
  result.timer().done("embed");

  std::vector<std::pair<std::string, std::vector<double>>> all_scores;
  const auto scores =
      hyperlex_scores(set, embedded.words, embedded.root, HyperLexScorer::ExteriorAngle);
  all_scores.emplace_back("score", scores);
  const HyperLexReport report = hyperlex_report(set, scores, gold);

  ordered_json metrics = hyperlex_report_json(report);
  ordered_json ordered;
  ordered["score"] = hyperlex_scorer_formula(HyperLexScorer::ExteriorAngle);
  for (const char* key : {"rho_all", "rho_nouns", "rho_verbs", "p_value_all", "p_value_nouns",
                          "p_value_verbs"}) {
    ordered[key] = metrics[key];
  }
  ordered["counts"] = {{"pairs", set.pairs.size()},
                       {"nouns", nouns},
                       {"verbs", verbs},
                       {"words", set.words.size()},
                       {"types", report.per_type.size()}};
  ordered["gold"] = options.data.gold;
  ordered["pos"] = options.data.pos;
  ordered["per_type"] = metrics["per_type"];
  ordered_json baseline_json = ordered_json::object();
  for (HyperLexScorer scorer : baselines) {
    const auto values = hyperlex_scores(set, embedded.words, embedded.root, scorer);
    ordered_json entry = hyperlex_report_json(hyperlex_report(set, values, gold));
    entry.erase("n_all");
    entry.erase("n_nouns");
    entry.erase("n_verbs");
    ordered_json with_formula{{"score", hyperlex_scorer_formula(scorer)}};
    with_formula.update(entry);
    baseline_json[hyperlex_scorer_name(scorer)] = std::move(with_formula);
    all_scores.emplace_back(hyperlex_scorer_name(scorer), values);
  }
  ordered["baselines"] = std::move(baseline_json);
  result.timer().done("score");

  result.metrics() = ordered;
  result.set_model(embedded.model);
  result.set("dataset", {{"file", set.source.string()},
                         {"pos", options.data.pos},
                         {"gold", options.data.gold}});
  result.set("prompt", embedded.prompt);
  result.set("root", embedded.root_info);
  result.set("embedding", embedded.embedding);
  if (options.write_scores) write_scores(result, set, gold, all_scores);
  auto show = [](double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : "n/a"; };
  spdlog::info("HyperLex rho_all {} rho_nouns {} rho_verbs {} ({} pairs) in {:.1f} s",
               show(report.all.rho), show(report.nouns.rho), show(report.verbs.rho),
               set.pairs.size(), result.elapsed_s());
}

}  // namespace hc
