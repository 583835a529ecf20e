#include "hc/hgclip/prompt_clip.h"

#include <optional>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "hc/core/error.h"
#include "hc/model/named_tensor_copy.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

PromptClipImpl::PromptClipImpl(ClipModel clip_model, const ClipTokenizer& tokenizer,
                               const ClassHierarchy& hierarchy, const PromptClipDesign& design)
    : design_(design) {
  const ClipConfig& config = clip_model->config();
  if (design.vision_depth > config.vision.num_layers) {
    throw usage_error("hgclip.vision_depth {} exceeds the vision tower's {} layers",
                      design.vision_depth, config.vision.num_layers);
  }
  const auto options = at::TensorOptions().device(clip_model->device()).dtype(clip_model->dtype());
  clip = register_module("clip", std::move(clip_model));
  for (at::Tensor& param : clip->parameters()) param.requires_grad_(false);
  at::Generator generator =
      at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(design.seed));
  prompt_learner = register_module(
      "prompt_learner", TextPromptLearner(*clip->text_model, tokenizer, hierarchy.all_classes(),
                                          design.n_ctx, design.ctx_init, generator));
  prompt_learner->ctx.requires_grad_(design.learn_context);
  if (design.vision_depth > 0) {
    image_prompts = register_module(
        "image_encoder", DeepPrompts(PromptTower::Vision, design.vision_depth, design.vision_ctx,
                                     config.vision.hidden_size, options));
    image_prompts->reset_parameters(generator);
  }
  if (design.knowledge_weight > 0) {
    torch::NoGradGuard no_grad;
    reference_text_ = text_features().detach().clone();
  }
}

at::Tensor PromptClipImpl::text_features() const {
  if (!design_.learn_context && frozen_text_.defined()) return frozen_text_;
  std::optional<torch::NoGradGuard> no_grad;
  if (!design_.learn_context) no_grad.emplace();
  const ClipTextFeatures text =
      clip->encode_text_embeddings(prompt_learner->forward(), prompt_learner->eot_index);
  at::Tensor features = text.text_embeds / text.text_embeds.norm(2, -1, true);
  if (!design_.learn_context) frozen_text_ = features;
  return features;
}

at::Tensor PromptClipImpl::forward(const at::Tensor& pixel_values) const {
  at::Tensor image;
  if (image_prompts) {
    image = clip->encode_image(pixel_values, image_prompts->hooks(design_.fp16_prompts)).image_embeds;
  } else {
    torch::NoGradGuard no_grad;  // nothing in the vision tower trains
    image = clip->encode_image(pixel_values).image_embeds;
  }
  image = image / image.norm(2, -1, true);
  const at::Tensor text = text_features();
  last_text_ = text;
  return at::matmul(clip->logit_scale.exp() * image, text.t());
}

at::Tensor PromptClipImpl::knowledge_loss() const {
  if (!reference_text_.defined() || !last_text_.defined()) return at::Tensor();
  // Both sides are unit vectors, so the cosine is their dot product.
  const at::Tensor cosine = (last_text_ * reference_text_.to(last_text_.dtype())).sum(-1);
  return design_.knowledge_weight * (1.0 - cosine.mean());
}

std::vector<std::pair<std::string, at::Tensor>> PromptClipImpl::learnable_parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (const auto& item : named_parameters()) {
    if (item.key().rfind("clip.", 0) == 0 || !item.value().requires_grad()) continue;
    params.emplace_back(item.key(), item.value());
  }
  return params;
}

void PromptClipImpl::load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                               const std::string& source) {
  copy_named_tensors(learnable_parameters(), values, "prompt parameters", source);
  frozen_text_ = at::Tensor();
}

}  // namespace hc
