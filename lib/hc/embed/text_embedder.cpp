#include "hc/embed/text_embedder.h"

#include <algorithm>

#include <torch/torch.h>

#include <fmt/format.h>

#include "hc/core/progress.h"
#include "hc/embed/length_buckets.h"
#include "hc/embed/out_of_memory.h"
#include "hc/embed/unit_rows.h"
#include "hc/tensor/device.h"
#include "hc/text/parallel_encode.h"

namespace hc {

TextEmbedder::TextEmbedder(ClipModel model, ClipTokenizer tokenizer, EmbedOptions options,
                           ThreadPool& pool)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(std::move(options)),
      pool_(pool) {
  options_.validate();
}

int64_t TextEmbedder::context_length() const { return model_->config().text.max_positions; }

std::vector<std::vector<int32_t>> TextEmbedder::tokenize(
    const std::vector<std::string>& texts) const {
  std::vector<std::vector<int32_t>> tokens = encode_all(tokenizer_, texts, pool_);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    tokens[i] = fit(std::move(tokens[i]), "text " + std::to_string(i));
  }
  return tokens;
}

std::vector<int32_t> TextEmbedder::tokenize_one(const std::string& text,
                                                std::string_view what) const {
  return fit(tokenizer_.encode_with_specials(text), what);
}

std::vector<int32_t> TextEmbedder::fit(std::vector<int32_t> tokens, std::string_view what) const {
  const int context = static_cast<int>(context_length());
  if (static_cast<int64_t>(tokens.size()) <= context) return tokens;
  return fit_to_context(std::move(tokens), context, /*truncate=*/true, tokenizer_.eos_id(), what);
}

at::Tensor TextEmbedder::embed_tokens(const std::vector<std::vector<int32_t>>& tokens,
                                      const EmbedBatchSink& on_batch) {
  const int64_t count = static_cast<int64_t>(tokens.size());
  at::Tensor out = at::empty({count, model_->config().projection_dim}, at::kFloat);
  if (count == 0) return out;

  std::vector<std::size_t> lengths(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) lengths[i] = tokens[i].size();
  const auto batches = length_buckets(lengths, static_cast<std::size_t>(options_.batch_size));

  Progress::Settings quiet;
  quiet.mode = options_.show_progress ? Progress::Mode::Auto : Progress::Mode::Quiet;
  Progress progress("embedding texts", tokens.size(), quiet);
  const std::string details =
      fmt::format("device {}, dtype {}", model_->device().str(), scalar_type_label(model_->dtype()));
  torch::NoGradGuard no_grad;
  for (const auto& batch : batches) {
    const int64_t rows = static_cast<int64_t>(batch.size());
    const int64_t length = static_cast<int64_t>(lengths[batch.front()]);  // longest first
    // Zero padding, as clip.tokenize: pooling finds the end token either way (first 49407, or
    // argmax for legacy configs), and the causal mask hides the padding from it.
    at::Tensor ids = at::zeros({rows, length}, at::kLong);
    at::Tensor where = at::empty({rows}, at::kLong);
    int64_t* id_data = ids.data_ptr<int64_t>();
    int64_t* where_data = where.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const auto& seq = tokens[batch[r]];
      std::copy(seq.begin(), seq.end(), id_data + r * length);
      where_data[r] = static_cast<int64_t>(batch[r]);
    }
    at::Tensor embeds = forward_or_explain_memory(
        [&] { return model_->encode_text(ids.to(model_->device())).text_embeds; },
        fmt::format("{} texts of {} tokens", rows, length), details);
    ++forward_calls_;
    const at::Tensor rows_out = embeds.to(at::kCPU, at::kFloat);
    out.index_copy_(0, where, rows_out);
    if (on_batch) on_batch(std::vector<int64_t>(where_data, where_data + rows), rows_out);
    progress.advance(batch.size());
  }
  progress.finish();
  return out;
}

at::Tensor TextEmbedder::embed(const std::vector<std::string>& texts,
                               const EmbedBatchSink& on_batch) {
  at::Tensor raw = embed_tokens(tokenize(texts), on_batch);
  return options_.normalise ? unit_rows(raw) : raw;
}

}  // namespace hc
