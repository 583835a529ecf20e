#pragma once
// A CLIP model: text and vision towers, their projections and the logit scale, with Hugging
// Face's parameter names (named_parameters() lists the tensors of an HF checkpoint).
//
// Inference: model->eval() and a torch::NoGradGuard around the calls. Training: model->train()
// (CLIP has no dropout, so this only matters for code that checks the flag); every parameter is
// registered, so optimizers and gradients work. Devices and dtypes: CPU and CUDA with fp32,
// fp16, bf16; LayerNorm and the attention softmax run in float32 inside (see layers.h,
// transformer_block.h); outputs are in the model's dtype.
#include <cstdint>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/model/clip_config.h"
#include "hc/model/clip_encoder.h"
#include "hc/model/clip_text.h"
#include "hc/model/clip_vision.h"

namespace hc {

struct ClipTextFeatures {
  at::Tensor text_embeds;        // [B, P] projected, not normalised
  at::Tensor text_pooled;        // [B, W] final LayerNorm output at the EOT token
  at::Tensor eot_index;          // [B] int64
  at::Tensor last_hidden_state;  // [B, L, W] after the final LayerNorm
};

struct ClipImageFeatures {
  at::Tensor image_embeds;         // [B, P] projected CLS token, not normalised
  at::Tensor vision_pooled;        // [B, W] CLS token after post_layernorm
  at::Tensor vision_tokens;        // [B, 1 + G*G (+ hook tokens), W] post_layernorm on every token
  at::Tensor vision_patch_embeds;  // [B, G*G, P] = post_layernorm(patch tokens) @ projection
};

class ClipModelImpl : public torch::nn::Module {
 public:
  // Parameters are allocated uninitialised on options' device and dtype: fill them with
  // load_clip_weights() or init_clip_weights().
  ClipModelImpl(const ClipConfig& config, const at::TensorOptions& options);

  ClipTextFeatures encode_text(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                               const TowerHooks& hooks = {}) const;
  // Prompt learning: token embeddings [B, L, W] and pooling positions, see ClipTextTransformer.
  ClipTextFeatures encode_text_embeddings(const at::Tensor& token_embeds,
                                          const at::Tensor& eot_index,
                                          const at::Tensor& attention_mask = {},
                                          const TowerHooks& hooks = {}) const;
  ClipImageFeatures encode_image(const at::Tensor& pixel_values,
                                 const TowerHooks& hooks = {}) const;

  at::Tensor project_text(const at::Tensor& pooled) const;  // [..., Wt] -> [..., P]
  at::Tensor project_image(const at::Tensor& x) const;      // [..., Wv] -> [..., P]
  // exp(logit_scale) * normalize(image_embeds) @ normalize(text_embeds)^T: [N_images, N_texts].
  at::Tensor logits_per_image(const at::Tensor& image_embeds, const at::Tensor& text_embeds) const;

  const ClipConfig& config() const { return config_; }
  at::Device device() const { return logit_scale.device(); }
  at::ScalarType dtype() const { return logit_scale.scalar_type(); }

  ClipTextTransformer text_model{nullptr};
  ClipVisionTransformer vision_model{nullptr};
  at::Tensor text_projection;    // "text_projection.weight" [P, Wt]
  at::Tensor visual_projection;  // "visual_projection.weight" [P, Wv]
  at::Tensor logit_scale;        // 0-dim, the log of the temperature's inverse

 private:
  ClipConfig config_;
};
TORCH_MODULE(ClipModel);

// A model with every parameter initialised as Hugging Face's CLIPModel._init_weights does
// (initializer_factor 1), from a CPU generator seeded with `seed`: the same values on every
// device. Throws (see require_dtype_support) when dtype cannot run on device.
ClipModel random_clip(const ClipConfig& config, uint64_t seed, at::Device device,
                      at::ScalarType dtype);
void init_clip_weights(ClipModelImpl& model, uint64_t seed);

// Throws an hc::Error naming the device, dtype and the missing kernel when this libtorch cannot
// run the CLIP forward pass in dtype on device: libtorch 1.13 has no fp16 matmul, GELU or conv
// kernels on CPU, so "--dtype fp16 --device cpu" is refused there with a hint to use bf16 or
// fp32 (computing in float32 instead would silently give fp32 results under an fp16 label).
// Probes tiny tensors once per (device, dtype).
void require_dtype_support(at::Device device, at::ScalarType dtype);

}  // namespace hc
