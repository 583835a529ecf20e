#pragma once
// HGCLIP (Xia et al.): CLIP with independent deep prompts in both towers, a graph attention
// network over the label hierarchy for the class text features, a second one for the class
// image prototypes, and prototype attention over the image tokens. One forward pass, as the
// official HGCLIP.forward (attention == 1) computes it, with every intermediate kept:
//
//   t_k   = text tower(prompt_k with learnable ctx, deep text prompts)     [K, D]
//   t^    = GNN_text(t) / ||GNN_text(t)||                                   [K, D]
//   P     = GNN_image(prototypes)                                           [K, D]
//   g, F  = vision tower(image, deep vision prompts): projected CLS, and the projected tokens
//           after it (patches, then the visual prompt rows)                 [B, D], [B, T, D]
//   logits = exp(logit_scale) g t^^T + 0.2 * 100 pooled(F, P) t^^T   (g not normalised)
//
// K: all classes of all levels (ClassHierarchy::all_classes() order, the logit columns). The
// CLIP weights and logit_scale are frozen; the learnable parameters carry the official names
// (learnable_parameters()). Device and dtype: the CLIP model's; the graph networks run in float32
// when CLIP runs in fp16/bf16 (as the official GNN modules stay float32), else in CLIP's dtype.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/deep_prompts.h"
#include "hc/hgclip/gat_conv.h"
#include "hc/hgclip/graph_network.h"
#include "hc/hgclip/hgclip_options.h"
#include "hc/hgclip/label_graph.h"
#include "hc/hgclip/prototype_attention.h"
#include "hc/hgclip/text_prompt_learner.h"
#include "hc/model/clip_model.h"

namespace hc {

class ClipTokenizer;

struct HgclipOutput {
  at::Tensor prompt_embeddings;    // [K, L, Wt] the text prompt learner's output
  at::Tensor text_features_clip;   // [K, D] text tower output, entering the text GNN
  GraphNetworkOutput text_graph;   // text GNN (output: [K, D] before normalisation)
  GraphNetworkOutput image_graph;  // prototype GNN
  at::Tensor text_features;        // [K, D] normalised
  at::Tensor prototype_features;   // [K, D] prototype GNN output (not normalised)
  at::Tensor image_features;       // [B, D] global (projected CLS), not normalised
  at::Tensor spatial_features;     // [B, T, D] projected tokens after CLS
  PrototypeAttention attention;    // over spatial_features and prototype_features
  at::Tensor logits_proto;         // [B, K] 100 pooled t^^T
  at::Tensor logits_global;        // [B, K] exp(logit_scale) g t^^T
  at::Tensor logit_scale_exp;      // 0-dim
  at::Tensor logits;               // [B, K] logits_global + prototype_weight * logits_proto
};

class HgclipModelImpl : public torch::nn::Module {
 public:
  // clip: any CLIP (its embed dim must equal its text width: the graph networks map text
  // features to text features, as the official code builds them). graph: usually
  // build_label_graph(hierarchy, options.duplicate_edges_mode()). Learnable parameters are
  // initialised as the official code does, from options.seed. Sizes that do not fit the model
  // (depths beyond its layers, ...) are usage hc::Errors.
  HgclipModelImpl(ClipModel clip, const ClipTokenizer& tokenizer, const ClassHierarchy& hierarchy,
                  const LabelGraph& graph, const HgclipOptions& options);

  // pixel_values [B, 3, S, S] preprocessed; prototypes [K, D] (class_prototypes()).
  HgclipOutput forward(const at::Tensor& pixel_values, const at::Tensor& prototypes) const;

  // logits [B, K] split by level, most general first.
  std::vector<at::Tensor> level_logits(const at::Tensor& logits) const;

  // The trainable parameters under their official names ("prompt_learner.ctx",
  // "image_encoder.VPT", "gnn_text_encoder.conv1.fc.weight", ...), in registration order.
  std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const;
  // Copies values into the learnable parameters; every one must be given with its shape (one
  // usage hc::Error lists what is missing, unknown or misshapen; nothing is copied then).
  void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                 const std::string& source);

  void set_graph(const LabelGraph& graph);  // replaces the label graph (same node count)

  const HgclipOptions& options() const { return options_; }
  const std::vector<int64_t>& level_sizes() const { return level_sizes_; }
  const GraphEdges& graph() const { return graph_; }

  ClipModel clip{nullptr};                     // "clip", frozen
  TextPromptLearner prompt_learner{nullptr};   // "prompt_learner"
  DeepPrompts image_prompts{nullptr};          // "image_encoder"
  DeepPrompts text_prompts{nullptr};           // "text_encoder"
  GraphNetwork gnn_text_encoder{nullptr};      // "gnn_text_encoder"
  GraphNetwork gnn_image_encoder{nullptr};     // "gnn_image_encoder"

 private:
  HgclipOptions options_;
  std::vector<int64_t> level_sizes_;
  GraphEdges graph_;
};
TORCH_MODULE(HgclipModel);

}  // namespace hc
