#include "hc/hgclip/hgclip_model.h"


#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "hc/core/error.h"
#include "hc/hgclip/hierarchical_loss.h"
#include "hc/model/named_tensor_copy.h"
#include "hc/model/shape_text.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

namespace {

void check_sizes(const ClipConfig& config, const HgclipOptions& options) {
  if (config.projection_dim != config.text.hidden_size) {
    throw usage_error("HGCLIP needs a CLIP whose embedding size ({}) equals its text width ({}): "
                      "the graph networks map text features to text features",
                      config.projection_dim, config.text.hidden_size);
  }
  if (options.vision_depth > config.vision.num_layers) {
    throw usage_error("hgclip.vision_depth {} exceeds the vision tower's {} layers",
                      options.vision_depth, config.vision.num_layers);
  }
  if (options.language_depth > config.text.num_layers) {
    throw usage_error("hgclip.language_depth {} exceeds the text tower's {} layers",
                      options.language_depth, config.text.num_layers);
  }
}

// The graph networks stay float32 under a half-precision CLIP, as the official GNN modules do.
at::ScalarType graph_dtype(at::ScalarType clip_dtype) {
  return clip_dtype == at::kHalf || clip_dtype == at::kBFloat16 ? at::kFloat : clip_dtype;
}

}  // namespace

HgclipModelImpl::HgclipModelImpl(ClipModel clip_model, const ClipTokenizer& tokenizer,
                                 const ClassHierarchy& hierarchy, const LabelGraph& graph,
                                 const HgclipOptions& options)
    : options_(options), level_sizes_(hierarchy.level_sizes()) {
  const ClipConfig& config = clip_model->config();
  check_sizes(config, options);
  const auto clip_options =
      at::TensorOptions().device(clip_model->device()).dtype(clip_model->dtype());
  const auto gnn_options = clip_options.dtype(graph_dtype(clip_model->dtype()));
  const int64_t text_width = config.text.hidden_size;

  clip = register_module("clip", std::move(clip_model));
  for (at::Tensor& param : clip->parameters()) param.requires_grad_(false);

  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(
      static_cast<uint64_t>(options.seed));
  prompt_learner = register_module(
      "prompt_learner", TextPromptLearner(*clip->text_model, tokenizer, hierarchy.all_classes(),
                                          options.n_ctx, options.ctx_init, generator));
  image_prompts = register_module(
      "image_encoder", DeepPrompts(PromptTower::Vision, options.vision_depth, options.vision_ctx,
                                   config.vision.hidden_size, clip_options));
  text_prompts = register_module(
      "text_encoder", DeepPrompts(PromptTower::Text, options.language_depth,
                                  options.language_ctx, text_width, clip_options));
  const GnnHeads heads_mode = options.gnn_heads_mode();
  gnn_text_encoder = register_module(
      "gnn_text_encoder", GraphNetwork(text_width, options.gnn_hidden, text_width,
                                       options.gnn_heads, heads_mode, gnn_options));
  gnn_image_encoder = register_module(
      "gnn_image_encoder", GraphNetwork(text_width, options.gnn_hidden, text_width,
                                        options.gnn_heads, heads_mode, gnn_options));
  image_prompts->reset_parameters(generator);
  text_prompts->reset_parameters(generator);
  gnn_text_encoder->reset_parameters(generator);
  gnn_image_encoder->reset_parameters(generator);
  set_graph(graph);
}

void HgclipModelImpl::set_graph(const LabelGraph& graph) {
  int64_t classes = 0;
  for (int64_t size : level_sizes_) classes += size;
  if (graph.num_nodes != classes) {
    throw usage_error("HGCLIP: the label graph has {} nodes for {} classes", graph.num_nodes,
                      classes);
  }
  graph_ = graph_edges(graph, clip->device());
}

HgclipOutput HgclipModelImpl::forward(const at::Tensor& pixel_values,
                                      const at::Tensor& prototypes) const {
  const at::Device device = clip->device();
  const GraphEdges graph = graph_.to(device);
  const at::ScalarType dtype = gnn_text_encoder->convs()[0]->fc_weight.scalar_type();
  const int64_t classes = graph.num_nodes;
  if (prototypes.dim() != 2 || prototypes.size(0) != classes ||
      prototypes.size(1) != clip->config().projection_dim) {
    throw usage_error("HGCLIP: prototypes must be [{}, {}], got {}", classes,
                      clip->config().projection_dim, shape_text(prototypes.sizes()));
  }
  const bool fp16 = options_.fp16_prompts;
  HgclipOutput out;
  out.prompt_embeddings = prompt_learner->forward();
  ClipTextFeatures text = clip->encode_text_embeddings(
      out.prompt_embeddings, prompt_learner->eot_index, /*attention_mask=*/{},
      text_prompts->hooks(fp16));
  out.text_features_clip = text.text_embeds;
  out.text_graph = gnn_text_encoder->forward(graph, text.text_embeds.to(dtype));
  out.text_features = out.text_graph.output / out.text_graph.output.norm(2, -1, true);
  out.image_graph = gnn_image_encoder->forward(graph, prototypes.to(device, dtype));
  out.prototype_features = out.image_graph.output;

  ClipImageFeatures image = clip->encode_image(pixel_values, image_prompts->hooks(fp16));
  const int64_t end = options_.prompt_tokens_attend ? image.vision_tokens.size(1)
                                                    : 1 + clip->config().vision.num_patches();
  out.image_features = image.image_embeds.to(dtype);
  out.spatial_features = clip->project_image(image.vision_tokens.slice(1, 1, end)).to(dtype);
  out.attention = prototype_attention(out.spatial_features, out.prototype_features);

  // Same association as the official expressions: (100 v) t^T and (scale g) t^T.
  const at::Tensor text_t = out.text_features.t();
  out.logits_proto = at::matmul(out.attention.pooled * 100.0, text_t);
  out.logit_scale_exp = clip->logit_scale.exp();
  out.logits_global = at::matmul(out.logit_scale_exp.to(dtype) * out.image_features, text_t);
  out.logits = out.logits_global + out.logits_proto * options_.prototype_weight;
  return out;
}

std::vector<at::Tensor> HgclipModelImpl::level_logits(const at::Tensor& logits) const {
  return split_level_logits(logits, level_sizes_);
}

std::vector<std::pair<std::string, at::Tensor>> HgclipModelImpl::learnable_parameters() const {
  return parameters_outside(*this, "clip");
}

void HgclipModelImpl::load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                                const std::string& source) {
  copy_named_tensors(learnable_parameters(), values, "HGCLIP parameters", source);
}

}  // namespace hc
