#pragma once
// CLIP's text tower ("text_model" in Hugging Face checkpoints): token + position embeddings,
// causal pre-LN transformer, final LayerNorm, pooled at the end-of-text token.
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/model/clip_config.h"
#include "hc/model/clip_encoder.h"
#include "hc/model/layers.h"

namespace hc {

struct ClipTextOutput {
  at::Tensor last_hidden_state;  // [B, L, W], after final_layer_norm
  at::Tensor pooled;             // [B, W]: last_hidden_state at eot_index
  at::Tensor eot_index;          // [B] int64, the pooling positions
};

class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  ClipTextTransformerImpl(const ClipTextConfig& config, const at::TensorOptions& options);

  // input_ids [B, L] with L <= max_positions, any padding value (the causal mask hides what
  // follows the EOT). attention_mask [B, L] (1 token, 0 padding) is optional and, as in HF,
  // also masks padding keys. Inputs move to the tower's device.
  ClipTextOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                         const TowerHooks& hooks = {}) const;

  // For prompt learning: token embeddings [B, L, W] (e.g. embed_tokens() with some rows
  // replaced by learnable context vectors; position embeddings are added here) and the
  // pooling positions eot_index [B].
  ClipTextOutput forward_embeddings(const at::Tensor& token_embeds, const at::Tensor& eot_index,
                                    const at::Tensor& attention_mask = {},
                                    const TowerHooks& hooks = {}) const;

  // token_embedding(input_ids): [B, L, W] in the tower's dtype.
  at::Tensor embed_tokens(const at::Tensor& input_ids) const;

  // Hugging Face's pooling positions: argmax(input_ids) when eos_token_id == 2 (legacy
  // configs), else the first position equal to eos_token_id (0 when a row has none, as HF).
  at::Tensor eot_positions(const at::Tensor& input_ids) const;

  const ClipTextConfig& config() const { return config_; }

  at::Tensor token_embedding;     // [vocab, W]
  at::Tensor position_embedding;  // [max_positions, W]

 private:
  ClipTextConfig config_;
  std::shared_ptr<ClipEncoderImpl> encoder_;
  std::shared_ptr<FloatLayerNormImpl> final_layer_norm_;
};
TORCH_MODULE(ClipTextTransformer);

}  // namespace hc
