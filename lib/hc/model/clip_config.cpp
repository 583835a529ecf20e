#include "hc/model/clip_config.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// One object of a config file plus the path of keys that led to it, for messages.
struct Section {
  const Json& json;
  std::string where;  // "config.json: text_config"

  std::string key_path(const char* key) const { return fmt::format("{}.{}", where, key); }
  // A null value counts as absent, as transformers treats it.
  const Json* find(const char* key) const {
    auto it = json.find(key);
    if (it == json.end() || it->is_null()) return nullptr;
    return &*it;
  }

  int64_t integer(const char* key, int64_t fallback) const {
    const Json* value = find(key);
    if (!value) return fallback;
    if (value->is_number_integer()) return value->get<int64_t>();
    if (value->is_number_float()) {
      double number = value->get<double>();
      if (std::floor(number) == number && std::abs(number) < 9e15) {
        return static_cast<int64_t>(number);
      }
    }
    throw usage_error("{}: expected an integer, got {}", key_path(key), value->dump());
  }

  double number(const char* key, double fallback) const {
    const Json* value = find(key);
    if (!value) return fallback;
    if (!value->is_number()) {
      throw usage_error("{}: expected a number, got {}", key_path(key), value->dump());
    }
    return value->get<double>();
  }

  bool boolean(const char* key, bool fallback) const {
    const Json* value = find(key);
    if (!value) return fallback;
    if (!value->is_boolean()) {
      throw usage_error("{}: expected true or false, got {}", key_path(key), value->dump());
    }
    return value->get<bool>();
  }

  std::string string(const char* key, const std::string& fallback) const {
    const Json* value = find(key);
    if (!value) return fallback;
    if (!value->is_string()) {
      throw usage_error("{}: expected a string, got {}", key_path(key), value->dump());
    }
    return value->get<std::string>();
  }

  // A sub-object, or nullptr when absent.
  const Json* object(const char* key) const {
    const Json* value = find(key);
    if (value && !value->is_object()) {
      throw usage_error("{}: expected an object, got {}", key_path(key), value->type_name());
    }
    return value;
  }

  // Rejects an option that changes the network in a way this implementation does not model.
  void require_absent(const char* key, const char* what) const {
    if (find(key)) {
      throw usage_error("{}: {} is not supported (only plain ViT CLIP towers are)", key_path(key),
                        what);
    }
  }
  void require_not_true(const char* key, const char* what) const {
    if (boolean(key, false)) {
      throw usage_error("{}: {} is not supported (only plain ViT CLIP towers are)", key_path(key),
                        what);
    }
  }
  void require_string(const char* key, const std::string& expected) const {
    std::string value = string(key, expected);
    if (value != expected) {
      throw usage_error("{}: \"{}\" is not supported (only \"{}\")", key_path(key), value,
                        expected);
    }
  }
};

Json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw runtime_error("cannot open {}", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return Json::parse(text.str());
  } catch (const Json::exception& e) {
    throw usage_error("{}: not valid JSON ({})", path.string(), e.what());
  }
}

void require_object(const Json& json, const std::string& where) {
  if (!json.is_object()) {
    throw usage_error("{}: expected a JSON object, got {}", where, json.type_name());
  }
}

// The fields both towers share, under Hugging Face's keys.
template <typename Tower>
void parse_hf_tower(const Section& s, Tower& c) {
  c.hidden_size = s.integer("hidden_size", c.hidden_size);
  c.intermediate_size = s.integer("intermediate_size", c.intermediate_size);
  c.num_heads = s.integer("num_attention_heads", c.num_heads);
  c.num_layers = s.integer("num_hidden_layers", c.num_layers);
  c.hidden_act = parse_activation(s.string("hidden_act", activation_name(c.hidden_act)),
                                  s.key_path("hidden_act"));
  c.layer_norm_eps = s.number("layer_norm_eps", c.layer_norm_eps);
}

template <typename Tower>
Json hf_tower_json(const char* model_type, const Tower& c, int64_t projection_dim) {
  return Json{
      {"model_type", model_type},
      {"hidden_size", c.hidden_size},
      {"intermediate_size", c.intermediate_size},
      {"projection_dim", projection_dim},
      {"num_attention_heads", c.num_heads},
      {"num_hidden_layers", c.num_layers},
      {"hidden_act", activation_name(c.hidden_act)},
      {"layer_norm_eps", c.layer_norm_eps},
      {"attention_dropout", 0.0},
      {"dropout", 0.0},
      {"initializer_range", 0.02},
      {"initializer_factor", 1.0},
  };
}

ClipTextConfig parse_hf_text(const Section& s) {
  ClipTextConfig c;
  parse_hf_tower(s, c);
  c.vocab_size = s.integer("vocab_size", c.vocab_size);
  c.max_positions = s.integer("max_position_embeddings", c.max_positions);
  c.pad_token_id = s.integer("pad_token_id", c.pad_token_id);
  c.bos_token_id = s.integer("bos_token_id", c.bos_token_id);
  c.eos_token_id = s.integer("eos_token_id", c.eos_token_id);
  return c;
}

ClipVisionConfig parse_hf_vision(const Section& s) {
  ClipVisionConfig c;
  parse_hf_tower(s, c);
  c.image_size = s.integer("image_size", c.image_size);
  c.patch_size = s.integer("patch_size", c.patch_size);
  c.num_channels = s.integer("num_channels", c.num_channels);
  return c;
}

// The sub-config `key`, or the old `key_dict` spelling, or an empty object (all defaults).
const Json& sub_config(const Section& top, const char* key, std::string& where) {
  static const Json empty = Json::object();
  for (std::string name : {std::string(key), std::string(key) + "_dict"}) {
    if (const Json* found = top.object(name.c_str())) {
      where = top.key_path(name.c_str());
      return *found;
    }
  }
  where = top.key_path(key);
  return empty;
}

// OpenCLIP's "image_size" may be an int or a [h, w] pair.
int64_t open_clip_image_size(const Section& s) {
  const Json* value = s.find("image_size");
  if (value && value->is_array()) {
    if (value->size() == 2 && (*value)[0].is_number_integer() && (*value)[0] == (*value)[1]) {
      return (*value)[0].get<int64_t>();
    }
    throw usage_error("{}: only square images are supported, got {}", s.key_path("image_size"),
                      value->dump());
  }
  return s.integer("image_size", 224);
}

int64_t mlp_width(const Section& s, int64_t width) {
  double ratio = s.number("mlp_ratio", 4.0);
  return static_cast<int64_t>(width * ratio);
}

// OpenCLIP options of either tower that change the network.
void reject_tower_variants(const Section& s) {
  s.require_absent("ls_init_value", "layer scale");
  s.require_absent("act_kwargs", "a custom activation");
  s.require_absent("norm_kwargs", "a custom LayerNorm");
  s.require_not_true("final_ln_after_pool", "final_ln_after_pool");
}

ClipVisionConfig parse_open_clip_vision(const Section& s, Activation act) {
  const Json* layers = s.find("layers");
  if (layers && !layers->is_number()) {
    throw usage_error("{}: ResNet vision towers (layers given as a list) are not supported",
                      s.key_path("layers"));
  }
  reject_tower_variants(s);
  s.require_absent("timm_model_name", "a timm vision tower");
  s.require_not_true("attentional_pool", "attentional pooling");
  s.require_not_true("no_ln_pre", "a vision tower without ln_pre");
  s.require_string("pool_type", "tok");
  s.require_string("pos_embed_type", "learnable");

  ClipVisionConfig c;
  c.num_layers = s.integer("layers", 12);
  c.hidden_size = s.integer("width", 768);
  int64_t head_width = s.integer("head_width", 64);
  if (head_width <= 0 || c.hidden_size % head_width != 0) {
    throw usage_error("{}: width {} is not a multiple of head_width {}", s.where, c.hidden_size,
                      head_width);
  }
  c.num_heads = c.hidden_size / head_width;
  c.intermediate_size = mlp_width(s, c.hidden_size);
  c.patch_size = s.integer("patch_size", 16);
  c.image_size = open_clip_image_size(s);
  c.hidden_act = act;
  return c;
}

ClipTextConfig parse_open_clip_text(const Section& s, Activation act) {
  reject_tower_variants(s);
  s.require_absent("hf_model_name", "a Hugging Face text tower");
  s.require_not_true("embed_cls", "a CLS text token");
  s.require_not_true("no_causal_mask", "a text tower without causal mask");
  s.require_not_true("proj_bias", "a text projection with bias");
  s.require_string("pool_type", "argmax");

  ClipTextConfig c;
  c.max_positions = s.integer("context_length", 77);
  c.vocab_size = s.integer("vocab_size", 49408);
  c.hidden_size = s.integer("width", 512);
  c.num_heads = s.integer("heads", 8);
  c.num_layers = s.integer("layers", 12);
  c.intermediate_size = mlp_width(s, c.hidden_size);
  c.hidden_act = act;
  // OpenCLIP pools at argmax(ids), which is the first EOT (49407, the largest id).
  c.eos_token_id = 49407;
  return c;
}

struct Builtin {
  const char* name;
  int64_t embed_dim;
  int64_t image_size, patch_size, vision_width, vision_layers, vision_head_width;
  int64_t text_width, text_heads, text_layers;
  bool quick_gelu;
};

// Dimensions of open_clip/model_configs/<name>.json; OpenAI's weights use quick_gelu.
constexpr Builtin kBuiltins[] = {
    {"ViT-B-32", 512, 224, 32, 768, 12, 64, 512, 8, 12, true},
    {"ViT-B-16", 512, 224, 16, 768, 12, 64, 512, 8, 12, true},
    {"ViT-L-14", 768, 224, 14, 1024, 24, 64, 768, 12, 12, true},
    {"ViT-L-14-336", 768, 336, 14, 1024, 24, 64, 768, 12, 12, true},
    {"ViT-H-14", 1024, 224, 14, 1280, 32, 80, 1024, 16, 24, false},
    {"tiny", 32, 224, 32, 64, 2, 32, 64, 2, 2, true},
};

}  // namespace

Activation parse_activation(const std::string& name, const std::string& where) {
  if (name == "quick_gelu") return Activation::QuickGelu;
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
  throw usage_error("{}: unknown activation \"{}\" (expected quick_gelu, gelu, gelu_new or "
                    "gelu_pytorch_tanh)",
                    where, name);
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::QuickGelu: return "quick_gelu";
    case Activation::Gelu: return "gelu";
    case Activation::GeluTanh: return "gelu_pytorch_tanh";
  }
  return "?";
}

void ClipConfig::validate() const {
  auto positive = [&](const char* key, int64_t value) {
    if (value <= 0) throw usage_error("{}: {} must be positive, got {}", name, key, value);
  };
  positive("text.vocab_size", text.vocab_size);
  positive("text.hidden_size", text.hidden_size);
  positive("text.intermediate_size", text.intermediate_size);
  positive("text.num_attention_heads", text.num_heads);
  positive("text.num_hidden_layers", text.num_layers);
  positive("text.max_position_embeddings", text.max_positions);
  positive("vision.hidden_size", vision.hidden_size);
  positive("vision.intermediate_size", vision.intermediate_size);
  positive("vision.num_attention_heads", vision.num_heads);
  positive("vision.num_hidden_layers", vision.num_layers);
  positive("vision.image_size", vision.image_size);
  positive("vision.patch_size", vision.patch_size);
  positive("vision.num_channels", vision.num_channels);
  positive("projection_dim", projection_dim);
  if (text.hidden_size % text.num_heads != 0) {
    throw usage_error("{}: text hidden_size {} is not divisible by num_attention_heads {}", name,
                      text.hidden_size, text.num_heads);
  }
  if (vision.hidden_size % vision.num_heads != 0) {
    throw usage_error("{}: vision hidden_size {} is not divisible by num_attention_heads {}",
                      name, vision.hidden_size, vision.num_heads);
  }
  if (vision.patch_size > vision.image_size) {
    throw usage_error("{}: vision patch_size {} is larger than image_size {}", name,
                      vision.patch_size, vision.image_size);
  }
  if (!(text.layer_norm_eps > 0) || !(vision.layer_norm_eps > 0)) {
    throw usage_error("{}: layer_norm_eps must be positive", name);
  }
}

ClipConfig parse_hf_clip_config(const Json& json, const std::string& where) {
  require_object(json, where);
  Section top{json, where};
  std::string model_type = top.string("model_type", "clip");
  if (model_type != "clip") {
    throw usage_error("{}: model_type \"{}\" is not a CLIP model (expected \"clip\")",
                      top.key_path("model_type"), model_type);
  }
  ClipConfig config;
  config.name = where;
  std::string text_where, vision_where;
  const Json& text = sub_config(top, "text_config", text_where);
  const Json& vision = sub_config(top, "vision_config", vision_where);
  config.text = parse_hf_text(Section{text, text_where});
  config.vision = parse_hf_vision(Section{vision, vision_where});
  config.projection_dim = top.integer("projection_dim", config.projection_dim);
  config.logit_scale_init = top.number("logit_scale_init_value", config.logit_scale_init);
  config.validate();
  return config;
}

ClipConfig load_hf_clip_config(const fs::path& config_json) {
  return parse_hf_clip_config(read_json(config_json), config_json.string());
}

ClipConfig parse_open_clip_config(const Json& json, const std::string& where) {
  require_object(json, where);
  Section outer{json, where};
  const Json* wrapped = outer.object("model_cfg");
  Section top{wrapped ? *wrapped : json, wrapped ? outer.key_path("model_cfg") : where};
  top.require_not_true("custom_text", "a CustomTextCLIP model (custom_text)");
  if (!top.find("embed_dim")) {
    throw usage_error("{}: no \"embed_dim\": not an OpenCLIP model config", top.where);
  }
  const Json* vision = top.object("vision_cfg");
  const Json* text = top.object("text_cfg");
  if (!vision || !text) {
    throw usage_error("{}: an OpenCLIP model config needs \"vision_cfg\" and \"text_cfg\"",
                      top.where);
  }
  Activation act = top.boolean("quick_gelu", false) ? Activation::QuickGelu : Activation::Gelu;
  ClipConfig config;
  config.name = where;
  config.projection_dim = top.integer("embed_dim", 512);
  config.vision = parse_open_clip_vision(Section{*vision, top.key_path("vision_cfg")}, act);
  config.text = parse_open_clip_text(Section{*text, top.key_path("text_cfg")}, act);
  config.validate();
  return config;
}

ClipConfig load_open_clip_config(const fs::path& config_json) {
  return parse_open_clip_config(read_json(config_json), config_json.string());
}

std::vector<std::string> builtin_clip_config_names() {
  std::vector<std::string> names;
  for (const Builtin& b : kBuiltins) names.emplace_back(b.name);
  return names;
}

ClipConfig builtin_clip_config(const std::string& name) {
  const std::string suffix = "-quickgelu";
  bool force_quick_gelu = name.size() > suffix.size() &&
                          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  std::string base = force_quick_gelu ? name.substr(0, name.size() - suffix.size()) : name;
  for (const Builtin& b : kBuiltins) {
    if (base != b.name) continue;
    Activation act = (b.quick_gelu || force_quick_gelu) ? Activation::QuickGelu : Activation::Gelu;
    ClipConfig c;
    c.name = name;
    c.projection_dim = b.embed_dim;
    c.vision.image_size = b.image_size;
    c.vision.patch_size = b.patch_size;
    c.vision.hidden_size = b.vision_width;
    c.vision.num_layers = b.vision_layers;
    c.vision.num_heads = b.vision_width / b.vision_head_width;
    c.vision.intermediate_size = 4 * b.vision_width;
    c.vision.hidden_act = act;
    c.text.hidden_size = b.text_width;
    c.text.num_heads = b.text_heads;
    c.text.num_layers = b.text_layers;
    c.text.intermediate_size = 4 * b.text_width;
    c.text.hidden_act = act;
    c.validate();
    return c;
  }
  throw usage_error("unknown CLIP architecture \"{}\" (known: {}, each also with -quickgelu)", name,
                    fmt::join(builtin_clip_config_names(), ", "));
}

Json to_hf_config_json(const ClipConfig& config, const std::string& torch_dtype) {
  const ClipTextConfig& t = config.text;
  const ClipVisionConfig& v = config.vision;
  Json text = hf_tower_json("clip_text_model", t, config.projection_dim);
  text["vocab_size"] = t.vocab_size;
  text["max_position_embeddings"] = t.max_positions;
  text["pad_token_id"] = t.pad_token_id;
  text["bos_token_id"] = t.bos_token_id;
  text["eos_token_id"] = t.eos_token_id;
  Json vision = hf_tower_json("clip_vision_model", v, config.projection_dim);
  vision["image_size"] = v.image_size;
  vision["patch_size"] = v.patch_size;
  vision["num_channels"] = v.num_channels;
  return Json{
      {"architectures", Json::array({"CLIPModel"})},
      {"model_type", "clip"},
      {"projection_dim", config.projection_dim},
      {"logit_scale_init_value", config.logit_scale_init},
      {"initializer_factor", 1.0},
      {"torch_dtype", torch_dtype},
      {"text_config", text},
      {"vision_config", vision},
  };
}

}  // namespace hc
