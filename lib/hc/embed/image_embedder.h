#pragma once
// Image files -> CLIP image embeddings. Decoding and preprocessing run on a thread pool while
// the model runs: batch k+1.. k+prefetch are being prepared while batch k is in the model, and
// no more than prefetch + 1 batches of pixels are held at once, so memory stays flat however
// many images there are.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/embed/batch_sink.h"
#include "hc/embed/embed_options.h"
#include "hc/model/clip_model.h"
#include "hc/vision/preprocess_config.h"

namespace hc {

class ThreadPool;

class ImageEmbedder {
 public:
  // The pool decodes; it must outlive the embedder. Throws a usage hc::Error when the
  // preprocessing does not give the model's image size.
  ImageEmbedder(ClipModel model, PreprocessConfig preprocess, EmbedOptions options,
                ThreadPool& pool);

  // [N, P] float32 on the CPU, rows in input order, unit length unless options.normalise is
  // false. An undecodable file is an hc::Error naming it; running out of memory is an hc::Error
  // asking for a smaller --batch-size. on_batch, when given, sees each batch's raw rows as soon
  // as they are computed.
  at::Tensor embed(const std::vector<std::filesystem::path>& paths,
                   const EmbedBatchSink& on_batch = {});

  // One image file decoded and preprocessed on the calling thread (no hand-off to the pool):
  // [1, 3, H, W] float32 on the CPU, the same pixels embed() gives the model. An hc::Error
  // naming the file when it cannot be decoded.
  at::Tensor pixels_of(const std::filesystem::path& path) const;

  // The model alone on ready pixels [B, 3, H, W] (any device): raw embeddings, float32 on the
  // CPU. Counts a forward call.
  at::Tensor embed_pixels(const at::Tensor& pixels);

  std::size_t forward_calls() const { return forward_calls_; }

 private:
  ClipModel model_;
  std::shared_ptr<const PreprocessConfig> preprocess_;
  EmbedOptions options_;
  ThreadPool& pool_;
  std::size_t forward_calls_ = 0;
};

}  // namespace hc
