#include "hc/model/clip_text.h"

#include "hc/core/error.h"
#include "hc/model/shape_text.h"

namespace hc {

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& config,
                                                 const at::TensorOptions& options)
    : config_(config) {
  auto embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  token_embedding = register_weight_module(*embeddings, "token_embedding",
                                           {config.vocab_size, config.hidden_size}, options);
  position_embedding = register_weight_module(*embeddings, "position_embedding",
                                              {config.max_positions, config.hidden_size}, options);
  encoder_ = register_module(
      "encoder", std::make_shared<ClipEncoderImpl>(config.hidden_size, config.num_heads,
                                                   config.intermediate_size, config.num_layers,
                                                   config.hidden_act, config.layer_norm_eps,
                                                   options));
  final_layer_norm_ = register_module(
      "final_layer_norm",
      std::make_shared<FloatLayerNormImpl>(config.hidden_size, config.layer_norm_eps, options));
}

at::Tensor ClipTextTransformerImpl::embed_tokens(const at::Tensor& input_ids) const {
  if (input_ids.dim() != 2) {
    throw usage_error("text tower: input_ids must be [batch, length], got {} dimensions",
                      input_ids.dim());
  }
  return at::embedding(token_embedding, input_ids.to(token_embedding.device(), at::kLong));
}

at::Tensor ClipTextTransformerImpl::eot_positions(const at::Tensor& input_ids) const {
  at::Tensor ids = input_ids.to(at::kLong);
  if (config_.eos_token_id == 2) return ids.argmax(-1);
  return ids.eq(config_.eos_token_id).to(at::kInt).argmax(-1);
}

ClipTextOutput ClipTextTransformerImpl::forward(const at::Tensor& input_ids,
                                                const at::Tensor& attention_mask,
                                                const TowerHooks& hooks) const {
  at::Tensor embeds = embed_tokens(input_ids);
  return forward_embeddings(embeds, eot_positions(input_ids.to(embeds.device())), attention_mask,
                            hooks);
}

ClipTextOutput ClipTextTransformerImpl::forward_embeddings(const at::Tensor& token_embeds,
                                                           const at::Tensor& eot_index,
                                                           const at::Tensor& attention_mask,
                                                           const TowerHooks& hooks) const {
  const int64_t width = config_.hidden_size;
  if (token_embeds.dim() != 3 || token_embeds.size(2) != width) {
    throw usage_error("text tower: token embeddings must be [batch, length, {}], got {}", width,
                      shape_text(token_embeds.sizes()));
  }
  const int64_t batch = token_embeds.size(0);
  int64_t length = token_embeds.size(1);
  if (length > config_.max_positions) {
    throw usage_error("text tower: {} tokens, more than the {} positions of this model", length,
                      config_.max_positions);
  }
  const at::Device device = token_embedding.device();
  at::Tensor eot = eot_index.to(device, at::kLong);
  if (eot.dim() != 1 || eot.size(0) != batch) {
    throw usage_error("text tower: eot_index must be [{}], got {}", batch,
                      shape_text(eot.sizes()));
  }
  if (batch > 0 && (eot.min().item<int64_t>() < 0 || eot.max().item<int64_t>() >= length)) {
    throw usage_error("text tower: eot_index out of range [0, {})", length);
  }

  at::Tensor x = token_embeds.to(device, token_embedding.scalar_type()) +
                 position_embedding.slice(0, 0, length);
  if (hooks.after_embeddings) {
    x = hooks.after_embeddings(x);
    length = x.size(1);
  }

  // Causal: query i sees keys 0..i. Padding keys are masked too when a mask is given.
  at::Tensor allowed =
      at::ones({length, length}, at::TensorOptions().dtype(at::kBool).device(device)).tril();
  allowed = allowed.view({1, 1, length, length});
  if (attention_mask.defined()) {
    if (attention_mask.dim() != 2 || attention_mask.size(0) != batch ||
        attention_mask.size(1) != length) {
      throw usage_error("text tower: attention_mask must be [{}, {}], got {}", batch, length,
                        shape_text(attention_mask.sizes()));
    }
    at::Tensor keys = attention_mask.to(device).ne(0).view({batch, 1, 1, length});
    allowed = allowed.logical_and(keys);
  }

  x = encoder_->forward(x, allowed, hooks);
  ClipTextOutput out;
  out.last_hidden_state = final_layer_norm_->forward(x);
  out.eot_index = eot;
  out.pooled = out.last_hidden_state
                   .gather(1, eot.view({batch, 1, 1}).expand({batch, 1, width}))
                   .squeeze(1);
  return out;
}

}  // namespace hc
