#include "hc/hgclip/cocoop_clip.h"

#include <memory>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "hc/core/error.h"
#include "hc/hgclip/default_linear_init.h"
#include "hc/model/named_tensor_copy.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

CocoopClipImpl::CocoopClipImpl(ClipModel clip_model, const ClipTokenizer& tokenizer,
                               const ClassHierarchy& hierarchy, int64_t n_ctx,
                               const std::string& ctx_init, int64_t seed) {
  const ClipConfig& config = clip_model->config();
  const int64_t vis_dim = config.projection_dim;
  const int64_t hidden = vis_dim / 16;  // the official vis_dim // 16
  if (hidden < 1) {
    throw usage_error("method cocoop: the meta-net's hidden size is projection_dim / 16, and the "
                      "model's projection_dim {} is below 16",
                      vis_dim);
  }
  const at::Device device = clip_model->device();
  const at::ScalarType dtype = clip_model->dtype();
  clip = register_module("clip", std::move(clip_model));
  for (at::Tensor& param : clip->parameters()) param.requires_grad_(false);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  prompt_learner = register_module(
      "prompt_learner", TextPromptLearner(*clip->text_model, tokenizer, hierarchy.all_classes(),
                                          n_ctx, ctx_init, generator));
  auto meta_net =
      prompt_learner->register_module("meta_net", std::make_shared<torch::nn::Module>());
  linear1 = meta_net->register_module("linear1", torch::nn::Linear(vis_dim, hidden));
  linear2 = meta_net->register_module(
      "linear2", torch::nn::Linear(hidden, config.text.hidden_size));
  default_linear_init(linear1, generator);
  default_linear_init(linear2, generator);
  linear1->to(device, dtype);
  linear2->to(device, dtype);
}

at::Tensor CocoopClipImpl::context_bias(const at::Tensor& image_features) const {
  const at::Tensor hidden = at::relu(at::linear(image_features, linear1->weight, linear1->bias));
  return at::linear(hidden, linear2->weight, linear2->bias);
}

at::Tensor CocoopClipImpl::forward(const at::Tensor& pixel_values) const {
  at::Tensor image;
  {
    torch::NoGradGuard no_grad;  // nothing in the vision tower trains
    image = clip->encode_image(pixel_values).image_embeds;
  }
  image = image / image.norm(2, -1, true);
  // The official model feeds the normalised feature to the meta-net.
  const at::Tensor shifted = prompt_learner->ctx.unsqueeze(0) + context_bias(image).unsqueeze(1);
  const at::Tensor scale = clip->logit_scale.exp();
  std::vector<at::Tensor> rows;
  rows.reserve(static_cast<std::size_t>(image.size(0)));
  for (int64_t b = 0; b < image.size(0); ++b) {
    const ClipTextFeatures text = clip->encode_text_embeddings(prompt_learner->forward(shifted[b]),
                                                               prompt_learner->eot_index);
    const at::Tensor features = text.text_embeds / text.text_embeds.norm(2, -1, true);
    rows.push_back(at::matmul(scale * image[b], features.t()));
  }
  return at::stack(rows);
}

std::vector<std::pair<std::string, at::Tensor>> CocoopClipImpl::learnable_parameters() const {
  return parameters_outside(*this, "clip");
}

void CocoopClipImpl::load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                               const std::string& source) {
  copy_named_tensors(learnable_parameters(), values, "prompt parameters", source);
}

}  // namespace hc
