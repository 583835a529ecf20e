#include "hc/hgclip/deep_prompts.h"

#include <string>

#include <ATen/ATen.h>

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

at::Tensor round_copies_to_fp16(const at::Tensor& prompts, int64_t batch, bool round_fp16) {
  at::Tensor copies = prompts.unsqueeze(0).expand({batch, prompts.size(0), prompts.size(1)});
  if (!round_fp16) return copies;
  return copies.to(at::kHalf).to(prompts.scalar_type());
}

DeepPromptsImpl::DeepPromptsImpl(PromptTower tower, int64_t depth, int64_t tokens, int64_t width,
                                 const at::TensorOptions& options)
    : tower_(tower), depth_(depth), tokens_(tokens) {
  if (depth < 0 || tokens < 1) {
    throw usage_error("deep prompts: depth must be >= 0 and tokens >= 1, got depth {} tokens {}",
                      depth, tokens);
  }
  if (tower == PromptTower::Vision && depth >= 1) {
    input_prompts = register_parameter("VPT", at::empty({tokens, width}, options));
  }
  if (depth < 2) return;
  // "transformer.resblocks.<i>.VPT_shallow", the official names.
  auto transformer = register_module("transformer", std::make_shared<torch::nn::Module>());
  auto blocks = transformer->register_module("resblocks", std::make_shared<torch::nn::Module>());
  for (int64_t i = 1; i < depth; ++i) {
    auto block = blocks->register_module(std::to_string(i), std::make_shared<torch::nn::Module>());
    layer_prompts.push_back(
        block->register_parameter("VPT_shallow", at::empty({tokens, width}, options)));
  }
}

void DeepPromptsImpl::reset_parameters(at::Generator& generator) {
  torch::NoGradGuard no_grad;
  for (auto& param : parameters()) {
    param.copy_(at::empty(param.sizes(), at::kFloat).normal_(0.0, 0.02, generator));
  }
}

at::Tensor DeepPromptsImpl::replace_rows(int64_t layer, const at::Tensor& hidden,
                                         bool round_fp16) const {
  const int64_t length = hidden.size(1);
  if (tokens_ >= length) {
    throw usage_error("deep prompts: {} prompt tokens do not fit {} rows at block {}", tokens_,
                      length, layer);
  }
  at::Tensor prompts =
      round_copies_to_fp16(layer_prompts[static_cast<std::size_t>(layer - 1)], hidden.size(0),
                           round_fp16)
          .to(hidden.scalar_type());
  if (tower_ == PromptTower::Text) {
    return at::cat({hidden.slice(1, 0, 1), prompts, hidden.slice(1, 1 + tokens_)}, 1);
  }
  return at::cat({hidden.slice(1, 0, length - tokens_), prompts}, 1);
}

TowerHooks DeepPromptsImpl::hooks(bool round_fp16) const {
  TowerHooks hooks;
  if (input_prompts.defined()) {
    hooks.after_embeddings = [this, round_fp16](const at::Tensor& hidden) {
      at::Tensor prompts = round_copies_to_fp16(input_prompts, hidden.size(0), round_fp16);
      return at::cat({hidden, prompts.to(hidden.scalar_type())}, 1);
    };
  }
  if (!layer_prompts.empty()) {
    hooks.before_layer = [this, round_fp16](int64_t layer, const at::Tensor& hidden) {
      if (layer < 1 || layer >= depth_) return hidden;
      return replace_rows(layer, hidden, round_fp16);
    };
  }
  return hooks;
}

}  // namespace hc
