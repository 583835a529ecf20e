#pragma once
// The hgclip.* config keys: the model's sizes and every switch between the official code's
// behaviour and hc's default (docs/hgclip-train.md, "Official quirks and hc's defaults").
//
// Defaults are the official values except for the quirk switches marked "hc default":
//  - gnn_heads "mean" (official "head0"): the official network keeps only head 0 of each GAT
//    layer (see graph_network.h).
//  - duplicate_edges "remove" (official "keep"): in hierarchies of 3+ levels built from
//    hierarchy-file lines the official graph repeats each upper link once per finest class
//    below it, which changes the attention softmax (see label_graph.h).
//  - fp16_prompts false (official true in a float32 run): the official prompt code casts the
//    deep prompts with .half(), so a float32 run sees them rounded to fp16, and their per-copy
//    gradients too (see deep_prompts.h). Without effect when the model runs in fp16.
// Kept as the official code has them, with a switch:
//  - prompt_tokens_attend true: the visual prompt rows join the patch tokens in the prototype
//    attention.
//  - empty_class "copy_previous": a class without training images takes the previous class's
//    prototype (see class_prototypes.h).
// Kept without a switch: the unnormalised global image feature in the logits, the fixed factors
// 2 (attention) and 100 (prototype logits), the ctx_init rule of text_prompt_learner.h.
// Official values as defaults: prototype_weight 0.2, level_weights (hierarchical_loss.h).
// HgclipOptions::official() sets every switch to the official behaviour.
#include <cstdint>
#include <string>
#include <vector>

#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/class_prototypes.h"
#include "hc/hgclip/graph_network.h"
#include "hc/hgclip/label_graph.h"

namespace hc {

class ConfigSchema;

struct HgclipOptions {
  int n_ctx = 4;                         // learnable text context vectors
  std::string ctx_init = "a photo of a"; // their initial words ("" = random)
  int vision_depth = 9;                  // deep vision prompts: input + blocks 1..depth-1
  int language_depth = 9;                // deep text prompts: blocks 1..depth-1
  int vision_ctx = 4;                    // prompt tokens per vision block
  int language_ctx = 4;                  // prompt rows per text block (independent of n_ctx)
  int gnn_hidden = 1024;                 // GAT hidden size
  int gnn_heads = 8;                     // GAT heads per layer
  std::string gnn_head_mode = "mean";    // "mean" (hc default) or "head0" (official)
  std::string duplicate_edges = "remove";  // "remove" (hc default) or "keep" (official)
  bool fp16_prompts = false;             // official: true (see above)
  bool prompt_tokens_attend = true;      // visual prompt rows in the prototype attention
  std::string empty_class = "copy_previous";  // "copy_previous" (official) or "error"
  double prototype_weight = 0.2;         // weight of the prototype logits
  double kgcoop_weight = 8.0;            // method kgcoop: weight of the knowledge term (KgCoOp's W)
  int prompt_depth = 9;                  // method maple: coupled prompts, input + blocks 1..depth-1
  double promptsrc_text_weight = 25.0;   // method promptsrc: weight of the text L1 term
  double promptsrc_image_weight = 10.0;  // method promptsrc: weight of the image L1 term
  double gpa_mean = 15.0;                // method promptsrc: prompt aggregation's epoch mean
  double gpa_std = 1.0;                  // ... and its standard deviation in epochs
  std::vector<double> level_weights;     // empty = official (1, ..., 1, 2) / levels
  int64_t seed = 0;                      // initialisation of the learnable parameters
  ClassHierarchyOptions hierarchy;       // hgclip.hierarchy.*: reading hierarchy files

  // Keys <section>.n_ctx, <section>.ctx_init, ... and <section>.hierarchy.*.
  void declare(ConfigSchema& schema, const std::string& section = "hgclip");

  // The official code's behaviour in every switch (and its sizes: depth 9, 4 tokens, hidden
  // 1024, 8 heads).
  static HgclipOptions official();

  GnnHeads gnn_heads_mode() const { return parse_gnn_heads(gnn_head_mode); }
  DuplicateEdges duplicate_edges_mode() const { return parse_duplicate_edges(duplicate_edges); }
  EmptyClassRule empty_class_rule() const { return parse_empty_class_rule(empty_class); }
};

}  // namespace hc
