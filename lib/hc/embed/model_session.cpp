#include "hc/embed/model_session.h"

#include <spdlog/spdlog.h>

#include "hc/core/compute_options.h"
#include "hc/core/result.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/shard_spec.h"
#include "hc/tensor/device.h"

namespace hc {

struct ModelSession::Impl {
  ClipBundle bundle;
  EmbeddingEngine engine;

  Impl(const ModelOptions& model, const ComputeOptions& compute)
      : bundle(open_clip_bundle(model.path, parse_device(compute.device),
                                parse_scalar_type(compute.dtype), model.bundle_options())),
        engine(bundle, model.embed_options(compute)) {}
};

ModelSession::ModelSession(const ModelOptions& model, const ComputeOptions& compute)
    : impl_(std::make_unique<Impl>(model, compute)) {}

ModelSession::ModelSession(const ModelOptions& model, const ComputeOptions& compute,
                           RunResult& result) {
  impl_ = std::make_unique<Impl>(model, compute);
  result.timer().done("load_model");
  spdlog::info("opened {} ({}, {} on {})", impl_->bundle.identity.name,
               impl_->bundle.model->config().name, compute.dtype, compute.device);
}

ModelSession::~ModelSession() = default;

ClipBundle& ModelSession::bundle() { return impl_->bundle; }
const ClipBundle& ModelSession::bundle() const { return impl_->bundle; }
EmbeddingEngine& ModelSession::engine() { return impl_->engine; }
const EmbeddingEngine& ModelSession::engine() const { return impl_->engine; }
int64_t ModelSession::dim() const { return impl_->bundle.model->config().projection_dim; }

nlohmann::ordered_json ModelSession::identity_json() const {
  return model_identity_json(impl_->bundle.identity);
}

nlohmann::ordered_json ModelSession::embedding_json() const {
  return embedding_stats_json(impl_->engine);
}

void ModelSession::report(RunResult& result) const {
  result.set_model(identity_json());
  result.set("embedding", embedding_json());
}

void ModelSession::fill_shard(const std::string& shard, const std::vector<std::string>& texts,
                              const std::vector<std::filesystem::path>& images,
                              RunResult& result) {
  const ShardSpec spec = parse_shard(shard);
  const std::size_t text_count = texts.empty() ? 0 : engine().fill_cache_texts(texts, spec);
  const std::size_t image_count = images.empty() ? 0 : engine().fill_cache_images(images, spec);
  result.timer().done("fill_cache");
  result.metrics()["shard"] = spec.str();
  result.metrics()["texts"] = text_count;
  result.metrics()["images"] = image_count;
  report(result);
  spdlog::info("shard {}: {} texts and {} images in the cache {}", spec.str(), text_count,
               image_count, engine().options().cache_dir.string());
}

nlohmann::ordered_json model_identity_json(const ModelIdentity& identity) {
  return {{"spec", identity.spec},
          {"path", identity.path.string()},
          {"name", identity.name},
          {"architecture", identity.architecture},
          {"sha256", identity.weights_sha256}};
}

nlohmann::ordered_json embedding_stats_json(const EmbeddingEngine& engine) {
  const EmbedStats& stats = engine.stats();
  using nlohmann::ordered_json;
  return {{"batch_size", engine.options().batch_size},
          {"threads", engine.threads()},
          {"normalised", engine.options().normalise},
          {"cache", engine.cache_enabled() ? ordered_json(engine.options().cache_dir.string())
                                           : ordered_json(nullptr)},
          {"text_forward_calls", stats.text_forward_calls},
          {"image_forward_calls", stats.image_forward_calls},
          {"texts_computed", stats.texts_computed},
          {"texts_from_cache", stats.texts_from_cache},
          {"images_computed", stats.images_computed},
          {"images_from_cache", stats.images_from_cache},
          {"model_threads",
           {{"torch", stats.model_threads.torch},
            {"openmp", stats.model_threads.openmp},
            {"openblas", stats.model_threads.openblas}}}};
}

}  // namespace hc
