#pragma once
// HGCLIP's learnable text context (VLPromptLearner): one prompt per class,
//   "<ctx_init> <class name, '_' as spaces>."
// tokenised to the text tower's context length, whose token rows 1..n_ctx (right after the
// start token) are replaced by n_ctx learnable vectors shared by all classes:
//   P_k = [E[start], ctx_1 .. ctx_n, E[ids_k[1 + n_ctx:]]]   (E: the token embedding)
//
// Official rules kept as they are (docs/hgclip-train.md):
//  - ctx_init non-empty and n_ctx <= 4: ctx starts as the token embeddings of ids 1..n_ctx of
//    the tokenised ctx_init, and the prompt text keeps the whole ctx_init (with n_ctx smaller
//    than its word count the remaining words stay fixed tokens; with more, the rows past its
//    end token are the embeddings of the end token and of padding id 0).
//  - otherwise ctx starts as N(0, 0.02) and the prompt text begins with n_ctx words "X".
// The ctx vectors are not rounded to fp16 (only the deep prompts are, see deep_prompts.h).
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace hc {

class ClipTextTransformerImpl;
class ClipTokenizer;

class TextPromptLearnerImpl : public torch::nn::Module {
 public:
  // The ctx vectors and the fixed embeddings take the text tower's device and dtype; random
  // values come from generator (CPU, float32).
  TextPromptLearnerImpl(const ClipTextTransformerImpl& text_tower, const ClipTokenizer& tokenizer,
                        const std::vector<std::string>& class_names, int64_t n_ctx,
                        const std::string& ctx_init, at::Generator& generator);

  // [K, L, W]: the prompts' token embeddings with the current ctx (no position embeddings).
  at::Tensor forward() const;
  // The same with `context` [n_ctx, W] in place of ctx (CoCoOp's per-image shifted context).
  at::Tensor forward(const at::Tensor& context) const;

  const std::vector<std::string>& prompts() const { return prompts_; }
  int64_t n_ctx() const { return ctx.size(0); }

  at::Tensor ctx;          // "ctx" [n_ctx, W], learnable
  at::Tensor token_ids;    // buffer "tokenized_prompts" [K, L] int64, zero padded
  at::Tensor eot_index;    // buffer [K]: argmax of token_ids (the end token has the largest id)
  at::Tensor initial_ctx;  // the value ctx started from (not registered)

 private:
  at::Tensor prefix_;  // buffer "token_prefix" [K, 1, W]: the start token's embedding
  at::Tensor suffix_;  // buffer "token_suffix" [K, L - 1 - n_ctx, W]
  std::vector<std::string> prompts_;
};
TORCH_MODULE(TextPromptLearner);

// The largest n_ctx the official code initialises from ctx_init.
inline constexpr int64_t kMaxContextFromInit = 4;

}  // namespace hc
