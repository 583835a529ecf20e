#pragma once
// What hgclip-train trains (the `method` key): HGCLIP itself or one of the baselines of its
// comparison, behind one interface the training task, the evaluation and the checkpoints use.
//
//   hgclip    HgclipModel (hgclip_model.h): deep prompts in both towers, the two graph
//             networks, prototype attention; needs the class prototypes
//   coop      learnable text context only (prompt_clip.h)
//   vpt       deep vision prompts only, fixed text prompts
//   vp        the official VP_CLIP: text context and deep vision prompts
//   kgcoop    CoOp with KgCoOp's knowledge term (hgclip.kgcoop_weight)
//   cocoop    CoOp's context shifted per image by a meta-net (cocoop_clip.h)
//   maple     coupled text and vision prompts (maple_clip.h; hgclip.prompt_depth)
//   promptsrc deep prompts in both towers, self-regulating terms, Gaussian prompt aggregation
//             (promptsrc_clip.h)
//   zeroshot  plain CLIP on "<ctx_init> <class>.", nothing trained (evaluation only)
//
// These are all of the official repository's methods (its models/*.py); any other name is a
// usage hc::Error listing them.
// implemented: naming one is a usage hc::Error listing what is available.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/data/class_hierarchy.h"
#include "hc/hgclip/hgclip_options.h"
#include "hc/model/clip_model.h"

namespace hc {

class ClipTokenizer;

enum class HgclipMethod { Hgclip, Coop, Vpt, Vp, Zeroshot, Kgcoop, Cocoop, Maple, Promptsrc };

// "hgclip", "coop", "vpt", "vp", "zeroshot", "kgcoop", "cocoop", "maple", "promptsrc"; anything
// else is a usage hc::Error naming the key `method` and what is available.
HgclipMethod parse_hgclip_method(const std::string& name);
std::string method_name(HgclipMethod method);
std::vector<std::string> implemented_methods();
bool method_trains(HgclipMethod method);     // false for zeroshot
bool method_needs_prototypes(HgclipMethod method);  // true for hgclip

// A classifier over every class of every level of a hierarchy (logit columns in
// ClassHierarchy::all_classes() order) on a frozen CLIP.
class HierarchicalClassifier {
 public:
  virtual ~HierarchicalClassifier();
  // [B, K] logits of preprocessed images [B, 3, S, S] (gradients flow to the learnable tensors
  // unless called under a NoGradGuard).
  virtual at::Tensor logits(const at::Tensor& pixel_values) = 0;
  // The trainable tensors under the official names, in a fixed order.
  virtual std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const = 0;
  // Every learnable tensor must be given with its shape (one usage hc::Error naming source
  // otherwise).
  virtual void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                         const std::string& source) = 0;
  // Terms the method adds to the classification loss, of the last logits() call with
  // gradients on (scalars with their gradients), each with its name in the log; empty for
  // methods without any.
  virtual std::vector<std::pair<std::string, at::Tensor>> extra_losses() const { return {}; }
  // Training calls this after the last optimiser step of epoch `epoch` (1-based) of `epochs`.
  virtual void end_epoch(int64_t /*epoch*/, int64_t /*epochs*/) {}
  // State besides the learnable tensors that a resumed run needs (checkpoints carry it), and
  // restoring it (every tensor must be given with its shape; one usage hc::Error naming source
  // otherwise).
  virtual std::vector<std::pair<std::string, at::Tensor>> training_state() const { return {}; }
  virtual void load_training_state(const std::map<std::string, at::Tensor>& /*values*/,
                                   const std::string& /*source*/) {}
};

// prototypes: [K, D] (the prototypes stage), required for hgclip and ignored otherwise.
std::unique_ptr<HierarchicalClassifier> make_hierarchical_classifier(
    HgclipMethod method, ClipModel clip, const ClipTokenizer& tokenizer,
    const ClassHierarchy& hierarchy, const HgclipOptions& options, const at::Tensor& prototypes);

}  // namespace hc
