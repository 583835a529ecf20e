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
// earlier run with the same model and settings (or by another process sharing the cache folder)
// come from the on-disk EmbeddingCache and only the new ones reach the model; what is computed
// goes to the cache batch by batch, so an interrupted run loses at most the batch in flight.
// Repeated inputs (the same text, the same file, or files with the same bytes when caching) are
// computed once.
//
// Array jobs fill the cache in shares (fill_cache_texts / fill_cache_images with shard i of n);
// a final run then reads everything from it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/embed/embed_options.h"
#include "hc/embed/shard_spec.h"

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

  // One input at the latency of one forward pass (hc embed --stream): [P] float32 on the CPU,
  // the row embed_texts({text}) / embed_images({path}) gives, with the same cache use and
  // counters. Everything runs on the calling thread (no hand-off to the worker pool) and a text
  // is padded to nothing but its own length. An hc::Error naming the input when it fails (an
  // unreadable or undecodable image); the engine stays usable.
  at::Tensor embed_text(const std::string& text);
  at::Tensor embed_image(const std::filesystem::path& path);

  // Embeds into the cache only the given shard of the distinct inputs (shard_spec.h: block i of
  // n, in order of first appearance), computing what it lacks; returns how many inputs the
  // shard holds. Every task of an array job must be given the same list. A usage hc::Error when
  // the cache is off (--no-cache, or a model without a weights fingerprint).
  std::size_t fill_cache_texts(const std::vector<std::string>& texts, const ShardSpec& shard);
  std::size_t fill_cache_images(const std::vector<std::filesystem::path>& paths,
                                const ShardSpec& shard);

  // Counters since construction: forward calls, inputs computed, inputs from the cache.
  const EmbedStats& stats() const;
  const EmbedOptions& options() const;
  // Workers of the tokenising / decoding pool.
  std::size_t threads() const;
  bool cache_enabled() const;
  // The settings each cache key is made of (JSON text; kind "text" or "image"), and the key's
  // folder in the cache (empty when the cache is off).
  std::string cache_settings(const std::string& kind) const;
  std::filesystem::path cache_folder(const std::string& kind) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hc
