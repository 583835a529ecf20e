#pragma once
// The shape of a CLIP model (both towers), read from a Hugging Face config.json, an OpenCLIP
// model config, or the built-in table of standard architectures. Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hc {

// MLP activations CLIP checkpoints use.
enum class Activation {
  QuickGelu,  // x * sigmoid(1.702 x): OpenAI CLIP, HF "quick_gelu"
  Gelu,       // exact erf GELU: OpenCLIP's non-OpenAI models, HF "gelu"
  GeluTanh,   // tanh approximation: HF "gelu_new" / "gelu_pytorch_tanh"
};

// HF hidden_act name -> Activation; throws a usage hc::Error naming `where` (file and key).
Activation parse_activation(const std::string& name, const std::string& where);
// The HF name written back to config.json: "quick_gelu", "gelu", "gelu_pytorch_tanh".
const char* activation_name(Activation activation);

// Defaults are Hugging Face's documented CLIPTextConfig defaults.
struct ClipTextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden_size = 512;
  int64_t intermediate_size = 2048;
  int64_t num_heads = 8;
  int64_t num_layers = 12;
  int64_t max_positions = 77;
  Activation hidden_act = Activation::QuickGelu;
  double layer_norm_eps = 1e-5;
  int64_t pad_token_id = 1;
  int64_t bos_token_id = 49406;
  // 2 (the old transformers default still found in many hub configs) selects HF's legacy
  // pooling rule argmax(input_ids); any other value pools at the first position equal to it.
  int64_t eos_token_id = 49407;
};

// Defaults are Hugging Face's documented CLIPVisionConfig defaults.
struct ClipVisionConfig {
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_heads = 12;
  int64_t num_layers = 12;
  int64_t image_size = 224;
  int64_t patch_size = 32;
  int64_t num_channels = 3;
  Activation hidden_act = Activation::QuickGelu;
  double layer_norm_eps = 1e-5;

  int64_t grid_size() const { return image_size / patch_size; }
  int64_t num_patches() const { return grid_size() * grid_size(); }
  int64_t num_positions() const { return num_patches() + 1; }  // + CLS
};

struct ClipConfig {
  std::string name;  // architecture name or the file it came from, for messages
  ClipTextConfig text;
  ClipVisionConfig vision;
  int64_t projection_dim = 512;
  // Only the initial value for random initialisation: checkpoints carry the trained value.
  double logit_scale_init = 2.6592;

  // Throws a usage hc::Error naming `name` when a dimension is not positive, a width is not
  // divisible by its head count, or the image size is not a multiple of the patch size.
  void validate() const;
};

// Hugging Face CLIPConfig (config.json of CLIPModel). Missing fields take HF's defaults (also a
// missing text_config / vision_config; the old "text_config_dict" form is read too). A field of
// the wrong type, an unknown activation or a model_type other than "clip" is an hc::Error
// naming `where` and the key.
ClipConfig parse_hf_clip_config(const nlohmann::json& json, const std::string& where);
ClipConfig load_hf_clip_config(const std::filesystem::path& config_json);

// OpenCLIP model config: either open_clip_config.json ({"model_cfg": {...}, ...}) or a bare
// model config ({"embed_dim", "vision_cfg", "text_cfg"}, as in open_clip/model_configs/).
// Only plain ViT CLIP is supported; options that change the network (timm/HF towers, layer
// scale, attentional pooling, no_ln_pre, non-argmax pooling, ...) are hc::Errors.
ClipConfig parse_open_clip_config(const nlohmann::json& json, const std::string& where);
ClipConfig load_open_clip_config(const std::filesystem::path& config_json);

// The built-in architectures: ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-336 (OpenAI, quick_gelu),
// ViT-H-14 (LAION, gelu), each also with a "-quickgelu" suffix forcing quick_gelu, and "tiny"
// (2 layers, width 64, patch 32: the shape of the tiny-quickgelu test fixture). Unknown names
// are a usage hc::Error listing the known ones.
ClipConfig builtin_clip_config(const std::string& name);
std::vector<std::string> builtin_clip_config_names();

// config.json in Hugging Face layout (loadable by transformers' CLIPModel and by
// parse_hf_clip_config). torch_dtype: "float32", "float16" or "bfloat16".
nlohmann::json to_hf_config_json(const ClipConfig& config, const std::string& torch_dtype);

}  // namespace hc
