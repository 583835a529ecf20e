#include "hc/model/inspect_model.h"

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/core/strings.h"
#include "hc/hub/model_source.h"
#include "hc/io/safetensors.h"
#include "hc/model/clip_weights.h"
#include "hc/model/tokenizer_files.h"
#include "hc/model/weights_fingerprint.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

enum class Tower { Text, Vision, Other };

Tower tower_of(const std::string& name, ClipNaming naming) {
  if (name == "logit_scale") return Tower::Other;
  if (naming == ClipNaming::OpenClip) return starts_with(name, "visual.") ? Tower::Vision : Tower::Text;
  if (starts_with(name, "text_model.") || name == "text_projection.weight") return Tower::Text;
  if (starts_with(name, "vision_model.") || name == "visual_projection.weight") {
    return Tower::Vision;
  }
  return Tower::Other;
}

const char* source_name(hub::ModelSource::Kind kind) {
  switch (kind) {
    case hub::ModelSource::Kind::Directory: return "folder";
    case hub::ModelSource::Kind::File: return "file";
    case hub::ModelSource::Kind::HubCache: return "hub cache";
  }
  return "";
}

// The config load_clip would use, and where it came from; nothing when there is none.
void find_config(ModelInspection& out, const fs::path& folder, ClipNaming naming,
                 const std::string& architecture) {
  if (!architecture.empty()) {
    out.config = builtin_clip_config(architecture);
    out.config_source = "builtin " + architecture;
    return;
  }
  const char* file = naming == ClipNaming::HuggingFace ? "config.json" : "open_clip_config.json";
  if (!fs::is_regular_file(folder / file)) return;
  out.config = naming == ClipNaming::HuggingFace ? load_hf_clip_config(folder / file)
                                                 : load_open_clip_config(folder / file);
  out.config_source = file;
}

void count_tensors(ModelInspection& out, const SafetensorsCheckpoint& checkpoint,
                   ClipNaming naming) {
  for (const std::string& name : checkpoint.names()) {
    const TensorView& view = checkpoint.get(name);
    ModelInspection::DtypeCount& count = out.dtypes[dtype_name(view.dtype)];
    ++count.tensors;
    count.elements += view.numel();
    if (ends_with(name, "position_ids")) {
      ++out.buffers;
      continue;
    }
    switch (tower_of(name, naming)) {
      case Tower::Text: out.text_parameters += view.numel(); break;
      case Tower::Vision: out.vision_parameters += view.numel(); break;
      case Tower::Other: out.other_parameters += view.numel(); break;
    }
  }
  out.total_parameters = out.text_parameters + out.vision_parameters + out.other_parameters;
}

// "1,234,567"
std::string grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return value < 0 ? "-" + digits : digits;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000.0 && unit < 4) {
    value /= 1000.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

nlohmann::ordered_json tower_json(const ClipTextConfig& t) {
  return {{"hidden_size", t.hidden_size},       {"intermediate_size", t.intermediate_size},
          {"num_layers", t.num_layers},         {"num_heads", t.num_heads},
          {"max_positions", t.max_positions},   {"vocab_size", t.vocab_size},
          {"activation", activation_name(t.hidden_act)}, {"layer_norm_eps", t.layer_norm_eps}};
}

nlohmann::ordered_json tower_json(const ClipVisionConfig& v) {
  return {{"hidden_size", v.hidden_size},   {"intermediate_size", v.intermediate_size},
          {"num_layers", v.num_layers},     {"num_heads", v.num_heads},
          {"patch_size", v.patch_size},     {"image_size", v.image_size},
          {"num_patches", v.num_patches()}, {"activation", activation_name(v.hidden_act)},
          {"layer_norm_eps", v.layer_norm_eps}};
}

}  // namespace

ModelInspection inspect_model(const std::string& spec, const std::string& architecture) {
  const hub::ModelSource source = hub::resolve_model_source(spec);
  ModelInspection out;
  out.spec = spec;
  out.path = fs::absolute(source.path).lexically_normal();
  out.source = source_name(source.kind);
  out.repo_id = source.repo_id;
  out.revision = source.revision;
  out.commit = source.commit;
  const fs::path folder = source.kind != hub::ModelSource::Kind::File ? source.path
                          : source.path.has_parent_path()            ? source.path.parent_path()
                                                                      : fs::path(".");

  const SafetensorsCheckpoint checkpoint =
      SafetensorsCheckpoint::open(clip_weights_location(source.path, architecture));
  const ClipNaming naming = detect_clip_naming(checkpoint);
  out.naming = clip_naming_name(naming);
  find_config(out, folder, naming, architecture);
  count_tensors(out, checkpoint, naming);

  const std::vector<fs::path> files = weights_files(checkpoint);
  for (const fs::path& file : files) {
    const uint64_t bytes = fs::file_size(file);
    out.files.push_back({file.filename().string(), file, bytes});
    out.total_bytes += bytes;
  }
  out.weights_sha256 = weights_sha256(files);

  out.tokenizer = has_tokenizer_files(folder);
  out.preprocessor = fs::is_regular_file(folder / "preprocessor_config.json");
  for (const char* name : {"config.json", "open_clip_config.json", "vocab.json", "merges.txt",
                           "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "preprocessor_config.json"}) {
    if (fs::is_regular_file(folder / name)) out.other_files.emplace_back(name);
  }
  return out;
}

nlohmann::ordered_json inspection_json(const ModelInspection& m) {
  nlohmann::ordered_json json;
  json["spec"] = m.spec;
  json["path"] = m.path.string();
  json["source"] = m.source;
  if (!m.repo_id.empty()) {
    json["hub"] = {{"repo_id", m.repo_id}, {"revision", m.revision}, {"commit", m.commit}};
  }
  json["naming"] = m.naming;
  json["config_source"] =
      m.config_source.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(m.config_source);
  if (m.config) {
    json["architecture"] = {{"projection_dim", m.config->projection_dim},
                            {"text", tower_json(m.config->text)},
                            {"vision", tower_json(m.config->vision)}};
  } else {
    json["architecture"] = nullptr;
  }
  json["parameters"] = {{"text", m.text_parameters},
                        {"vision", m.vision_parameters},
                        {"other", m.other_parameters},
                        {"total", m.total_parameters}};
  json["buffers"] = m.buffers;
  nlohmann::ordered_json dtypes = nlohmann::ordered_json::object();
  for (const auto& [name, count] : m.dtypes) {
    dtypes[name] = {{"tensors", count.tensors}, {"elements", count.elements}};
  }
  json["dtypes"] = dtypes;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& file : m.files) {
    files.push_back({{"name", file.name}, {"path", file.path.string()}, {"bytes", file.bytes}});
  }
  json["files"] = files;
  json["total_bytes"] = m.total_bytes;
  json["weights_sha256"] = m.weights_sha256;
  json["tokenizer"] = m.tokenizer;
  json["preprocessor"] = m.preprocessor;
  json["other_files"] = m.other_files;
  return json;
}

std::string inspection_text(const ModelInspection& m) {
  std::string out;
  auto line = [&out](const char* label, const std::string& value) {
    out += fmt::format("{:<13}{}\n", label, value);
  };
  std::string where = m.path.string() + ", " + m.source;
  if (!m.repo_id.empty()) where += fmt::format(" {}@{} ({})", m.repo_id, m.revision, m.commit);
  line("model", where);
  line("naming", m.naming + " names; config " +
                     (m.config_source.empty() ? std::string("not found") : "from " + m.config_source));
  if (m.config) {
    const ClipTextConfig& t = m.config->text;
    const ClipVisionConfig& v = m.config->vision;
    line("text", fmt::format("width {}, {} layers, {} heads, MLP {}, {}, {} positions, vocab {}",
                             t.hidden_size, t.num_layers, t.num_heads, t.intermediate_size,
                             activation_name(t.hidden_act), t.max_positions, t.vocab_size));
    line("vision", fmt::format("width {}, {} layers, {} heads, MLP {}, {}, patch {}, image {} "
                               "({} patches)",
                               v.hidden_size, v.num_layers, v.num_heads, v.intermediate_size,
                               activation_name(v.hidden_act), v.patch_size, v.image_size,
                               v.num_patches()));
    line("projection", std::to_string(m.config->projection_dim));
  }
  line("parameters", fmt::format("{} = text {} + vision {} + other {}", grouped(m.total_parameters),
                                 grouped(m.text_parameters), grouped(m.vision_parameters),
                                 grouped(m.other_parameters)));
  std::string dtypes;
  for (const auto& [name, count] : m.dtypes) {
    dtypes += fmt::format("{}{} {} tensors ({} values)", dtypes.empty() ? "" : ", ", name,
                          count.tensors, grouped(count.elements));
  }
  if (m.buffers > 0) dtypes += fmt::format("; {} position_ids buffers", m.buffers);
  line("dtypes", dtypes);
  for (std::size_t i = 0; i < m.files.size(); ++i) {
    line(i == 0 ? "files" : "", fmt::format("{} ({})", m.files[i].name, human_bytes(m.files[i].bytes)));
  }
  if (m.files.size() > 1) line("", fmt::format("total {}", human_bytes(m.total_bytes)));
  line("sha256", m.weights_sha256);
  line("tokenizer", m.tokenizer ? "vocab.json + merges.txt" : "none (give a vocabulary)");
  line("preprocessor",
       m.preprocessor ? "preprocessor_config.json" : "none (CLIP's standard settings apply)");
  return out;
}

}  // namespace hc
