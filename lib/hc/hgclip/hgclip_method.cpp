#include "hc/hgclip/hgclip_method.h"

#include "hc/core/error.h"
#include "hc/hgclip/cocoop_clip.h"
#include "hc/hgclip/hgclip_model.h"
#include "hc/hgclip/label_graph.h"
#include "hc/hgclip/maple_clip.h"
#include "hc/hgclip/prompt_clip.h"
#include "hc/hgclip/promptsrc_clip.h"

namespace hc {

namespace {


std::string available() {
  std::string text;
  for (const std::string& name : implemented_methods()) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// A method's module behind the interface: its learnable tensors, and its input moved to the
// CLIP's device and dtype. Each method says how it makes logits (their forward()s differ).
template <typename Model>
class ModuleClassifier : public HierarchicalClassifier {
 public:
  explicit ModuleClassifier(Model model) : model_(std::move(model)) {}
  std::vector<std::pair<std::string, at::Tensor>> learnable_parameters() const override {
    return model_->learnable_parameters();
  }
  void load_learnable_parameters(const std::map<std::string, at::Tensor>& values,
                                 const std::string& source) override {
    model_->load_learnable_parameters(values, source);
  }

 protected:
  at::Tensor on_clip(const at::Tensor& pixel_values) const {
    const ClipModel& clip = model_->clip;
    return pixel_values.to(clip->device(), clip->dtype());
  }
  Model model_;
};

class HgclipClassifier final : public ModuleClassifier<HgclipModel> {
 public:
  HgclipClassifier(HgclipModel model, at::Tensor prototypes)
      : ModuleClassifier(std::move(model)), prototypes_(std::move(prototypes)) {}
  at::Tensor logits(const at::Tensor& pixel_values) override {
    return model_->forward(on_clip(pixel_values), prototypes_).logits;
  }

 private:
  at::Tensor prototypes_;
};

// A module whose forward(pixels) is the logits.
template <typename Model>
class PlainClassifier final : public ModuleClassifier<Model> {
 public:
  using ModuleClassifier<Model>::ModuleClassifier;
  at::Tensor logits(const at::Tensor& pixel_values) override {
    return this->model_->forward(this->on_clip(pixel_values));
  }
};

class PromptClassifier final : public ModuleClassifier<PromptClip> {
 public:
  using ModuleClassifier::ModuleClassifier;
  at::Tensor logits(const at::Tensor& pixel_values) override {
    return model_->forward(on_clip(pixel_values));
  }
  std::vector<std::pair<std::string, at::Tensor>> extra_losses() const override {
    const at::Tensor knowledge = model_->knowledge_loss();
    if (!knowledge.defined()) return {};
    return {{"knowledge", knowledge}};
  }
};

class PromptSrcClassifier final : public ModuleClassifier<PromptSrcClip> {
 public:
  using ModuleClassifier::ModuleClassifier;
  at::Tensor logits(const at::Tensor& pixel_values) override {
    return model_->forward(on_clip(pixel_values)).logits;
  }
  std::vector<std::pair<std::string, at::Tensor>> extra_losses() const override {
    return model_->promptsrc_losses();
  }
  void end_epoch(int64_t epoch, int64_t epochs) override { model_->end_epoch(epoch, epochs); }
  std::vector<std::pair<std::string, at::Tensor>> training_state() const override {
    return model_->gpa_state();
  }
  void load_training_state(const std::map<std::string, at::Tensor>& values,
                           const std::string& source) override {
    model_->load_gpa_state(values, source);
  }
};

// CoOp takes as many context vectors as ctx_init has words (coop_model.py); the others use
// hgclip.n_ctx with the ctx_init rule of text_prompt_learner.h.
int64_t context_words(const std::string& text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '_';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

PromptClipDesign prompt_design(HgclipMethod method, const HgclipOptions& options) {
  PromptClipDesign design;
  design.n_ctx = options.n_ctx;
  design.ctx_init = options.ctx_init;
  design.seed = options.seed;
  design.fp16_prompts = options.fp16_prompts;
  design.vision_ctx = options.vision_ctx;
  const bool coop = method == HgclipMethod::Coop || method == HgclipMethod::Kgcoop;
  design.learn_context = coop || method == HgclipMethod::Vp;
  const bool vision = method == HgclipMethod::Vpt || method == HgclipMethod::Vp;
  design.vision_depth = vision ? options.vision_depth : 0;
  if (coop && !options.ctx_init.empty()) design.n_ctx = context_words(options.ctx_init);
  if (method == HgclipMethod::Kgcoop) design.knowledge_weight = options.kgcoop_weight;
  if (method == HgclipMethod::Vpt || method == HgclipMethod::Zeroshot) {
    // Fixed prompts: one context row initialised from ctx_init's first token and never
    // trained, the rest of ctx_init fixed tokens, so the prompt is "<ctx_init> <class>." as
    // tokenised.
    design.n_ctx = 1;
  }
  return design;
}

}  // namespace

HierarchicalClassifier::~HierarchicalClassifier() = default;

std::vector<std::string> implemented_methods() {
  return {"hgclip", "coop", "vpt", "vp", "zeroshot", "kgcoop", "cocoop", "maple", "promptsrc"};
}

HgclipMethod parse_hgclip_method(const std::string& name) {
  if (name == "hgclip") return HgclipMethod::Hgclip;
  if (name == "coop") return HgclipMethod::Coop;
  if (name == "vpt") return HgclipMethod::Vpt;
  if (name == "vp") return HgclipMethod::Vp;
  if (name == "zeroshot") return HgclipMethod::Zeroshot;
  if (name == "kgcoop") return HgclipMethod::Kgcoop;
  if (name == "cocoop") return HgclipMethod::Cocoop;
  if (name == "maple") return HgclipMethod::Maple;
  if (name == "promptsrc") return HgclipMethod::Promptsrc;
  throw usage_error("method '{}': expected one of {}", name, available());
}

std::string method_name(HgclipMethod method) {
  switch (method) {
    case HgclipMethod::Hgclip: return "hgclip";
    case HgclipMethod::Coop: return "coop";
    case HgclipMethod::Vpt: return "vpt";
    case HgclipMethod::Vp: return "vp";
    case HgclipMethod::Zeroshot: return "zeroshot";
    case HgclipMethod::Kgcoop: return "kgcoop";
    case HgclipMethod::Cocoop: return "cocoop";
    case HgclipMethod::Maple: return "maple";
    case HgclipMethod::Promptsrc: return "promptsrc";
  }
  return "?";
}

bool method_trains(HgclipMethod method) { return method != HgclipMethod::Zeroshot; }
bool method_needs_prototypes(HgclipMethod method) { return method == HgclipMethod::Hgclip; }

std::unique_ptr<HierarchicalClassifier> make_hierarchical_classifier(
    HgclipMethod method, ClipModel clip, const ClipTokenizer& tokenizer,
    const ClassHierarchy& hierarchy, const HgclipOptions& options, const at::Tensor& prototypes) {
  if (method == HgclipMethod::Hgclip) {
    if (!prototypes.defined()) throw runtime_error("method hgclip: no class prototypes given");
    const LabelGraph graph = build_label_graph(hierarchy, options.duplicate_edges_mode());
    HgclipModel model(std::move(clip), tokenizer, hierarchy, graph, options);
    return std::make_unique<HgclipClassifier>(std::move(model), prototypes);
  }
  if (method == HgclipMethod::Cocoop) {
    // CoOp's context rule (coop_model.py and cocoop_model.py alike).
    const int64_t n_ctx =
        options.ctx_init.empty() ? options.n_ctx : context_words(options.ctx_init);
    return std::make_unique<PlainClassifier<CocoopClip>>(
        CocoopClip(std::move(clip), tokenizer, hierarchy, n_ctx, options.ctx_init, options.seed));
  }
  if (method == HgclipMethod::Maple) {
    const MapleDesign design{options.n_ctx, options.ctx_init, options.prompt_depth, options.seed,
                             options.fp16_prompts};
    return std::make_unique<PlainClassifier<MapleClip>>(
        MapleClip(std::move(clip), tokenizer, hierarchy, design));
  }
  if (method == HgclipMethod::Promptsrc) {
    return std::make_unique<PromptSrcClassifier>(
        PromptSrcClip(std::move(clip), tokenizer, hierarchy, options));
  }
  return std::make_unique<PromptClassifier>(
      PromptClip(std::move(clip), tokenizer, hierarchy, prompt_design(method, options)));
}

}  // namespace hc
