#pragma once
// The embedding engine every tool uses: texts and image files in, [N, P] float32 CPU tensors
// out, rows in input order, unit length unless options.normalise is false.
//
//   hc::ClipBundle bundle = hc::open_clip_bundle("openai/clip-vit-base-patch32", device, dtype);
//   hc::EmbeddingEngine engine(bundle, {.batch_size = 128});
//   at::Tensor t = engine.embed_texts(texts);
//   at::Tensor v = engine.embed_images(paths);
//
// Texts go through TextEmbedder (length-bucketed batches), images through ImageEmbedder
// (decoding overlapped with the model). With options.use_cache, inputs already embedded by an
// earlier run with the same model and settings come from the on-disk EmbeddingCache and only
// the new ones reach the model. Repeated inputs (the same text, the same file, or files with
// the same bytes when caching) are computed once.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/embed/embed_options.h"

namespace hc {

struct ClipBundle;

class EmbeddingEngine {
 public:
  // Copies what it needs from bundle (the model is shared, not copied). A bundle whose identity
  // has no weights_sha256 runs without the cache (with a warning): it could not be keyed.
  explicit EmbeddingEngine(const ClipBundle& bundle, EmbedOptions options = {});
  ~EmbeddingEngine();
  EmbeddingEngine(const EmbeddingEngine&) = delete;
  EmbeddingEngine& operator=(const EmbeddingEngine&) = delete;

  at::Tensor embed_texts(const std::vector<std::string>& texts);
  at::Tensor embed_images(const std::vector<std::filesystem::path>& paths);

  // Counters since construction: forward calls, inputs computed, inputs from the cache.
  const EmbedStats& stats() const;
  const EmbedOptions& options() const;
  // Workers of the tokenising / decoding pool.
  std::size_t threads() const;
  bool cache_enabled() const;
  // The settings each cache file is keyed on (JSON text; kind "text" or "image"), and the file.
  std::string cache_settings(const std::string& kind) const;
  std::filesystem::path cache_file(const std::string& kind) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hc
