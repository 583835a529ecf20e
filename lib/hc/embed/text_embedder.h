#pragma once
// Texts -> CLIP text embeddings, in length-bucketed batches (see length_buckets.h): tokenised
// on a thread pool, sorted by token count, each batch padded only to its longest sequence, rows
// returned in input order. Texts longer than the model's context are cut as clip.tokenize
// (truncate=True) does, the end token kept last.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/embed/batch_sink.h"
#include "hc/embed/embed_options.h"
#include "hc/model/clip_model.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

class ThreadPool;

class TextEmbedder {
 public:
  // The pool tokenises; it must outlive the embedder.
  TextEmbedder(ClipModel model, ClipTokenizer tokenizer, EmbedOptions options, ThreadPool& pool);

  // [N, P] float32 on the CPU, rows in input order, unit length unless options.normalise is
  // false. Runs the model on its own device and dtype, without gradients. on_batch, when given,
  // sees each batch's raw rows as soon as they are computed.
  at::Tensor embed(const std::vector<std::string>& texts, const EmbedBatchSink& on_batch = {});

  // Each text as the model sees it: [start] + ids + [end], cut to the context length.
  std::vector<std::vector<int32_t>> tokenize(const std::vector<std::string>& texts) const;
  // One text the same way, on the calling thread (no hand-off to the pool); `what` names it in
  // errors.
  std::vector<int32_t> tokenize_one(const std::string& text, std::string_view what = "text") const;
  // Raw embeddings of token sequences, bucketed by length; counts forward calls.
  at::Tensor embed_tokens(const std::vector<std::vector<int32_t>>& tokens,
                          const EmbedBatchSink& on_batch = {});

  int64_t context_length() const;
  std::size_t forward_calls() const { return forward_calls_; }

 private:
  // Cut to the context length as clip.tokenize(truncate=True) does.
  std::vector<int32_t> fit(std::vector<int32_t> tokens, std::string_view what) const;

  ClipModel model_;
  ClipTokenizer tokenizer_;
  EmbedOptions options_;
  ThreadPool& pool_;
  std::size_t forward_calls_ = 0;
};

}  // namespace hc
