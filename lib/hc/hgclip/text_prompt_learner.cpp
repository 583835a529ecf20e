#include "hc/hgclip/text_prompt_learner.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/clip_text.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

namespace {

std::string underscores_to_spaces(std::string text) {
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

// clip.tokenize(texts) as an int64 tensor [rows, length], zero padded; too long is an error.
at::Tensor tokenize(const ClipTokenizer& tokenizer, const std::vector<std::string>& texts,
                    int64_t length) {
  TokenBatch batch = tokenizer.batch(texts, static_cast<int>(length), /*truncate=*/false,
                                     /*pad_id=*/0);
  return at::tensor(batch.ids, at::TensorOptions().dtype(at::kLong)).view({batch.rows, length});
}

}  // namespace

TextPromptLearnerImpl::TextPromptLearnerImpl(const ClipTextTransformerImpl& text_tower,
                                             const ClipTokenizer& tokenizer,
                                             const std::vector<std::string>& class_names,
                                             int64_t n_ctx, const std::string& ctx_init,
                                             at::Generator& generator) {
  if (class_names.empty()) throw usage_error("HGCLIP prompts: no class names");
  if (n_ctx < 1) throw usage_error("hgclip.n_ctx must be at least 1, got {}", n_ctx);
  const at::Tensor& embedding = text_tower.token_embedding;
  const int64_t length = text_tower.config().max_positions;
  if (1 + n_ctx >= length) {
    throw usage_error("hgclip.n_ctx {} leaves no room for the class name in {} tokens", n_ctx,
                      length);
  }
  torch::NoGradGuard no_grad;
  const std::string init = underscores_to_spaces(ctx_init);
  std::string prefix_text;
  at::Tensor start;
  if (!init.empty() && n_ctx <= kMaxContextFromInit) {
    at::Tensor ids = tokenize(tokenizer, {init}, length).to(embedding.device());
    start = at::embedding(embedding, ids)[0].slice(0, 1, 1 + n_ctx).clone();
    prefix_text = init;
  } else {
    start = at::empty({n_ctx, embedding.size(1)}, at::kFloat).normal_(0.0, 0.02, generator);
    start = start.to(embedding.device(), embedding.scalar_type());
    prefix_text = "X";
    for (int64_t i = 1; i < n_ctx; ++i) prefix_text += " X";
  }
  for (const std::string& name : class_names) {
    prompts_.push_back(prefix_text + " " + underscores_to_spaces(name) + ".");
  }
  at::Tensor ids = tokenize(tokenizer, prompts_, length).to(embedding.device());
  at::Tensor rows = at::embedding(embedding, ids);
  ctx = register_parameter("ctx", start.clone());
  initial_ctx = start;
  token_ids = register_buffer("tokenized_prompts", ids);
  eot_index = register_buffer("eot_index", ids.argmax(-1));
  prefix_ = register_buffer("token_prefix", rows.slice(1, 0, 1).clone());
  suffix_ = register_buffer("token_suffix", rows.slice(1, 1 + n_ctx).clone());
}

at::Tensor TextPromptLearnerImpl::forward() const { return forward(ctx); }

at::Tensor TextPromptLearnerImpl::forward(const at::Tensor& context) const {
  const int64_t classes = prefix_.size(0);
  at::Tensor shared = context.unsqueeze(0).expand({classes, context.size(0), context.size(1)});
  return at::cat({prefix_, shared.to(prefix_.scalar_type()), suffix_}, 1);
}

}  // namespace hc
