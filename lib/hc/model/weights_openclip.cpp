// OpenAI / OpenCLIP tensor names (clip/model.py, open_clip/model.py) for the Hugging Face names
// the model's parameters carry; see fixtures/model/README.md for the mapping.
#include <string>
#include <utility>

#include "hc/core/error.h"
#include "hc/model/weight_plan.h"

namespace hc {
namespace {

bool consume_prefix(std::string& text, const std::string& prefix) {
  if (text.compare(0, prefix.size(), prefix) != 0) return false;
  text.erase(0, prefix.size());
  return true;
}

// Names inside one transformer block, after "encoder.layers.N.".
WeightSource block_source(const std::string& block_prefix, const std::string& rest) {
  static const std::pair<const char*, const char*> renames[] = {
      {"self_attn.out_proj.", "attn.out_proj."},
      {"layer_norm1.", "ln_1."},
      {"layer_norm2.", "ln_2."},
      {"mlp.fc1.", "mlp.c_fc."},
      {"mlp.fc2.", "mlp.c_proj."},
  };
  for (const auto& [hf, oc] : renames) {
    std::string tail = rest;
    if (consume_prefix(tail, hf)) return {block_prefix + oc + tail};
  }
  // q/k/v are the three row blocks of the fused in_proj.
  static const char* const fused[] = {"self_attn.q_proj.", "self_attn.k_proj.",
                                      "self_attn.v_proj."};
  for (int64_t part = 0; part < 3; ++part) {
    std::string tail = rest;
    if (consume_prefix(tail, fused[part])) {
      return {block_prefix + "attn.in_proj_" + tail, WeightSource::Transform::Rows, part, 3};
    }
  }
  throw runtime_error("no OpenCLIP name for block parameter {}", rest);
}

}  // namespace

WeightSource openclip_source(const std::string& hf_name) {
  using T = WeightSource::Transform;
  if (hf_name == "logit_scale") return {"logit_scale"};
  if (hf_name == "text_projection.weight") return {"text_projection", T::Transpose};
  if (hf_name == "visual_projection.weight") return {"visual.proj", T::Transpose};

  std::string rest = hf_name;
  std::string tower;  // OpenCLIP prefix of the tower
  if (consume_prefix(rest, "text_model.")) {
    static const std::pair<const char*, const char*> text_names[] = {
        {"embeddings.token_embedding.weight", "token_embedding.weight"},
        {"embeddings.position_embedding.weight", "positional_embedding"},
        {"final_layer_norm.weight", "ln_final.weight"},
        {"final_layer_norm.bias", "ln_final.bias"},
    };
    for (const auto& [hf, oc] : text_names) {
      if (rest == hf) return {oc};
    }
  } else if (consume_prefix(rest, "vision_model.")) {
    tower = "visual.";
    static const std::pair<const char*, const char*> vision_names[] = {
        {"embeddings.class_embedding", "class_embedding"},
        {"embeddings.patch_embedding.weight", "conv1.weight"},
        {"embeddings.position_embedding.weight", "positional_embedding"},
        {"pre_layrnorm.weight", "ln_pre.weight"},
        {"pre_layrnorm.bias", "ln_pre.bias"},
        {"post_layernorm.weight", "ln_post.weight"},
        {"post_layernorm.bias", "ln_post.bias"},
    };
    for (const auto& [hf, oc] : vision_names) {
      if (rest == hf) return {tower + oc};
    }
  } else {
    throw runtime_error("no OpenCLIP name for parameter {}", hf_name);
  }
  if (consume_prefix(rest, "encoder.layers.")) {
    std::size_t dot = rest.find('.');
    if (dot != std::string::npos) {
      std::string layer = rest.substr(0, dot);
      return block_source(tower + "transformer.resblocks." + layer + ".", rest.substr(dot + 1));
    }
  }
  throw runtime_error("no OpenCLIP name for parameter {}", hf_name);
}

}  // namespace hc
