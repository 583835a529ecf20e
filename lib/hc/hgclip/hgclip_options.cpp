#include "hc/hgclip/hgclip_options.h"

#include "hc/core/config.h"

namespace hc {

void HgclipOptions::declare(ConfigSchema& schema, const std::string& section) {
  const std::string s = section + ".";
  schema.add(s + "n_ctx", n_ctx, "learnable text context vectors").check_positive();
  schema.add(s + "ctx_init", ctx_init,
             "words the context starts from when n_ctx <= 4 (empty: random N(0, 0.02))");
  schema.add(s + "vision_depth", vision_depth,
             "deep vision prompts: the input and blocks 1..depth-1 (0: none)")
      .check_non_negative();
  schema.add(s + "language_depth", language_depth,
             "deep text prompts: blocks 1..depth-1 (0 or 1: none)")
      .check_non_negative();
  schema.add(s + "vision_ctx", vision_ctx, "prompt tokens per vision block").check_positive();
  schema.add(s + "language_ctx", language_ctx, "prompt rows per text block").check_positive();
  schema.add(s + "gnn_hidden", gnn_hidden, "graph attention hidden size").check_positive();
  schema.add(s + "gnn_heads", gnn_heads, "graph attention heads per layer").check_positive();
  schema.add(s + "gnn_head_mode", gnn_head_mode,
             "how GAT heads combine: mean (average per layer) or head0 (official: head 0 only)")
      .one_of({"mean", "head0"});
  schema.add(s + "duplicate_edges", duplicate_edges,
             "repeated parent -> child links of 3+ level hierarchies: remove, or keep (official)")
      .one_of({"remove", "keep"});
  schema.add(s + "fp16_prompts", fp16_prompts,
             "round the deep prompts and their per-copy gradients to fp16 (official in float32)");
  schema.add(s + "prompt_tokens_attend", prompt_tokens_attend,
             "the visual prompt rows join the patch tokens in the prototype attention (official)");
  schema.add(s + "empty_class", empty_class,
             "a class without training images: copy_previous (official) or error")
      .one_of({"copy_previous", "error"});
  schema.add(s + "prototype_weight", prototype_weight, "weight of the prototype logits")
      .check_non_negative();
  schema.add(s + "kgcoop_weight", kgcoop_weight,
             "method kgcoop: weight of the knowledge term 1 - mean cos(text, text at start)")
      .check_positive();
  schema.add(s + "prompt_depth", prompt_depth,
             "method maple: coupled text and vision prompts in the input and blocks 1..depth-1 "
             "(official --prompt_depth)")
      .check_positive();
  schema.add(s + "promptsrc_text_weight", promptsrc_text_weight,
             "method promptsrc: weight of the L1 term between prompted and frozen text features")
      .check_non_negative();
  schema.add(s + "promptsrc_image_weight", promptsrc_image_weight,
             "method promptsrc: weight of the L1 term between prompted and frozen image features")
      .check_non_negative();
  schema.add(s + "gpa_mean", gpa_mean,
             "method promptsrc: mean epoch (1-based) of the Gaussian prompt aggregation");
  schema.add(s + "gpa_std", gpa_std,
             "method promptsrc: standard deviation in epochs of the Gaussian prompt aggregation")
      .check_positive();
  schema.add(s + "level_weights", level_weights,
             "cross-entropy weight per level, most general first (empty: 1, ..., 1, 2)")
      .check_non_negative();
  schema.add(s + "seed", seed, "seed of the learnable parameters' initialisation");
  hierarchy.declare(schema, s + "hierarchy");
}

HgclipOptions HgclipOptions::official() {
  HgclipOptions options;
  options.gnn_head_mode = "head0";
  options.duplicate_edges = "keep";
  options.fp16_prompts = true;
  options.prompt_tokens_attend = true;
  options.empty_class = "copy_previous";
  return options;
}

}  // namespace hc
