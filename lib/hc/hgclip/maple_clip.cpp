#include "hc/hgclip/maple_clip.h"

#include <algorithm>
#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "hc/core/error.h"
#include "hc/hgclip/deep_prompts.h"
#include "hc/hgclip/default_linear_init.h"
#include "hc/model/named_tensor_copy.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

namespace {

void check_depth(const ClipConfig& config, int64_t depth) {
  const int64_t layers = std::min(config.text.num_layers, config.vision.num_layers);
  if (depth < 1 || depth > layers) {
    throw usage_error("hgclip.prompt_depth {}: method maple needs 1..{} (the towers' layers)",
                      depth, layers);
  }
}

}  // namespace

MapleClipImpl::MapleClipImpl(ClipModel clip_model, const ClipTokenizer& tokenizer,
                             const ClassHierarchy& hierarchy, const MapleDesign& design)
    : design_(design) {
  const ClipConfig& config = clip_model->config();
  check_depth(config, design.depth);
  const at::Device device = clip_model->device();
  const at::ScalarType dtype = clip_model->dtype();
  const int64_t text_width = config.text.hidden_size;
  const int64_t vision_width = config.vision.hidden_size;
  clip = register_module("clip", std::move(clip_model));
  for (at::Tensor& param : clip->parameters()) param.requires_grad_(false);
  at::Generator generator =
      at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(design.seed));
  prompt_learner = register_module(
      "prompt_learner", TextPromptLearner(*clip->text_model, tokenizer, hierarchy.all_classes(),
                                          design.n_ctx, design.ctx_init, generator));
  const int64_t n_ctx = prompt_learner->n_ctx();
  proj = prompt_learner->register_module("proj", torch::nn::Linear(text_width, vision_width));
  default_linear_init(proj, generator);
  proj->to(device, dtype);
  // The official order of draws: ctx, proj, the deeper text prompts, the one projection copied.
  auto texts = prompt_learner->register_module("compound_prompts_text",
                                               std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i + 1 < design.depth; ++i) {
    at::Tensor values = at::empty({n_ctx, text_width}, at::kFloat).normal_(0.0, 0.02, generator);
    compound_prompts_text.push_back(
        texts->register_parameter(std::to_string(i), values.to(device, dtype)));
  }
  auto projections = prompt_learner->register_module("compound_prompt_projections",
                                                     std::make_shared<torch::nn::Module>());
  torch::nn::Linear single(text_width, vision_width);
  default_linear_init(single, generator);
  for (int64_t i = 0; i + 1 < design.depth; ++i) {
    torch::nn::Linear copy(text_width, vision_width);
    {
      torch::NoGradGuard no_grad;
      copy->weight.copy_(single->weight);
      copy->bias.copy_(single->bias);
    }
    copy->to(device, dtype);
    compound_prompt_projections.push_back(projections->register_module(std::to_string(i), copy));
  }
}

std::vector<at::Tensor> MapleClipImpl::text_prompts() const {
  std::vector<at::Tensor> prompts{prompt_learner->ctx};
  prompts.insert(prompts.end(), compound_prompts_text.begin(), compound_prompts_text.end());
  return prompts;
}

std::vector<at::Tensor> MapleClipImpl::vision_prompts() const {
  std::vector<at::Tensor> prompts{at::linear(prompt_learner->ctx, proj->weight, proj->bias)};
  for (std::size_t i = 0; i < compound_prompts_text.size(); ++i) {
    const torch::nn::Linear& layer = compound_prompt_projections[i];
    prompts.push_back(at::linear(compound_prompts_text[i], layer->weight, layer->bias));
  }
  return prompts;
}

TowerHooks MapleClipImpl::text_hooks(const std::vector<at::Tensor>& prompts) const {
  TowerHooks hooks;
  const bool round = design_.fp16_prompts;
  hooks.before_layer = [prompts, round](int64_t layer, const at::Tensor& hidden) {
    if (layer < 1 || layer >= static_cast<int64_t>(prompts.size())) return hidden;
    const at::Tensor& rows = prompts[static_cast<std::size_t>(layer)];
    const at::Tensor copies =
        round_copies_to_fp16(rows, hidden.size(0), round).to(hidden.scalar_type());
    return at::cat({hidden.slice(1, 0, 1), copies, hidden.slice(1, 1 + rows.size(0))}, 1);
  };
  return hooks;
}

TowerHooks MapleClipImpl::vision_hooks(const std::vector<at::Tensor>& prompts) const {
  TowerHooks hooks;
  const bool round = design_.fp16_prompts;
  hooks.after_embeddings = [prompts, round](const at::Tensor& hidden) {
    const at::Tensor copies =
        round_copies_to_fp16(prompts.front(), hidden.size(0), round).to(hidden.scalar_type());
    return at::cat({hidden, copies}, 1);
  };
  hooks.before_layer = [prompts, round](int64_t layer, const at::Tensor& hidden) {
    if (layer < 1 || layer >= static_cast<int64_t>(prompts.size())) return hidden;
    const at::Tensor& rows = prompts[static_cast<std::size_t>(layer)];
    const at::Tensor copies =
        round_copies_to_fp16(rows, hidden.size(0), round).to(hidden.scalar_type());
    return at::cat({hidden.slice(1, 0, hidden.size(1) - rows.size(0)), copies}, 1);
  };
  return hooks;
}

at::Tensor MapleClipImpl::forward(const at::Tensor& pixel_values) const {
  const ClipTextFeatures text = clip->encode_text_embeddings(
      prompt_learner->forward(), prompt_learner->eot_index, {}, text_hooks(text_prompts()));
  at::Tensor image =
      clip->encode_image(pixel_values, vision_hooks(vision_prompts())).image_embeds;
  image = image / image.norm(2, -1, true);
  const at::Tensor features = text.text_embeds / text.text_embeds.norm(2, -1, true);
  return at::matmul(clip->logit_scale.exp() * image, features.t());
}

std::vector<std::pair<std::string, at::Tensor>> MapleClipImpl::learnable_parameters() const {
  return parameters_outside(*this, "clip");
}

void MapleClipImpl::load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                              const std::string& source) {
  copy_named_tensors(learnable_parameters(), values, "prompt parameters", source);
}

}  // namespace hc
