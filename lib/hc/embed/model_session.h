#pragma once
// The model side of every tool that embeds, in one place: opening the checkpoint (model,
// tokenizer, preprocessing and identity with the weights hash) on the run's device and dtype,
// the embedding engine over it, and what a result records of them: the model identity
// ("model"), the engine's settings and counters ("embedding") and the time spent opening
// ("load_model" in "timing").
//
//   hc::ModelSession session(options.model, context.compute, result);
//   at::Tensor texts = session.engine().embed_texts(captions);
//   ...
//   session.report(result);
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/embed/model_options.h"

namespace hc {

class EmbeddingEngine;
class RunResult;
struct ComputeOptions;

class ModelSession {
 public:
  // Opens model.path on compute.device in compute.dtype; records the opening time as the
  // "load_model" stage of result's timer.
  ModelSession(const ModelOptions& model, const ComputeOptions& compute, RunResult& result);
  // The same without a result (tests, benchmarks).
  ModelSession(const ModelOptions& model, const ComputeOptions& compute);
  ~ModelSession();
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  ClipBundle& bundle();
  const ClipBundle& bundle() const;
  EmbeddingEngine& engine();
  const EmbeddingEngine& engine() const;
  // The embedding width (projection_dim).
  int64_t dim() const;

  // {spec, path, name, architecture, sha256}
  nlohmann::ordered_json identity_json() const;
  // {batch_size, threads, cache, normalised, forward calls, computed / cached counts}
  nlohmann::ordered_json embedding_json() const;
  // result.set_model(identity_json()) and result "embedding" = embedding_json().
  void report(RunResult& result) const;

  // Array jobs: embeds share `shard` ("I/N", hc/embed/shard_spec.h) of texts and of images into
  // the cache and nothing else, recording the share and its counts in result's metrics.
  void fill_shard(const std::string& shard, const std::vector<std::string>& texts,
                  const std::vector<std::filesystem::path>& images, RunResult& result);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The "model" object of result JSONs and sidecars: {spec, path, name, architecture, sha256}.
nlohmann::ordered_json model_identity_json(const ModelIdentity& identity);
// The engine's settings and counters, as ModelSession::embedding_json.
nlohmann::ordered_json embedding_stats_json(const EmbeddingEngine& engine);

}  // namespace hc
