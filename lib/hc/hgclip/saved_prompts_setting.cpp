#include "hc/hgclip/saved_prompts_setting.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "hc/core/config.h"
#include "hc/core/error.h"

namespace hc {

namespace {

using json = nlohmann::json;

const json& at_path(const json& info, std::initializer_list<const char*> path,
                    const std::filesystem::path& folder) {
  const json* node = &info;
  std::string where;
  for (const char* key : path) {
    where += (where.empty() ? "" : ".") + std::string(key);
    if (!node->is_object() || !node->contains(key)) {
      throw usage_error("{}: hgclip.json has no '{}': not a folder hgclip-train wrote",
                        folder.string(), where);
    }
    node = &node->at(key);
  }
  return *node;
}

// The first level or class where two ClassHierarchy::to_json() forms differ ("" when equal).
std::string hierarchy_difference(const json& saved, const json& run) {
  const json& a = saved.at("levels");
  const json& b = run.at("levels");
  if (a.size() != b.size()) return fmt::format("{} levels, this run has {}", a.size(), b.size());
  for (std::size_t l = 0; l < a.size(); ++l) {
    const json& ca = a[l].at("classes");
    const json& cb = b[l].at("classes");
    if (ca.size() != cb.size()) {
      return fmt::format("level {} has {} classes, this run's has {}", l, ca.size(), cb.size());
    }
    for (std::size_t c = 0; c < ca.size(); ++c) {
      if (ca[c] != cb[c]) {
        return fmt::format("level {} class {} is {}, this run's is {}", l, c, ca[c].dump(),
                           cb[c].dump());
      }
    }
  }
  return "";
}

// A key the run's config sets explicitly must agree with the training run's value.
void check_set_key(const ConfigSchema& config, const std::string& key, const json& saved,
                   const json& run, const std::filesystem::path& folder) {
  if (config.is_set(key) && saved != run) {
    throw usage_error("{}: the prompts were trained with {} {}, this run sets {} ({})",
                      folder.string(), key, saved.dump(), run.dump(), config.origin(key));
  }
}

// Every leaf of a config section as (dotted key, value).
void leaves(const json& node, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  if (!node.is_object()) {
    out.emplace_back(prefix, node);
    return;
  }
  for (const auto& [key, value] : node.items()) leaves(value, prefix + "." + key, out);
}

const json* find_leaf(const json& root, const std::string& dotted) {
  const json* node = &root;
  std::size_t begin = 0;
  while (begin <= dotted.size()) {
    const std::size_t dot = std::min(dotted.find('.', begin), dotted.size());
    const std::string part = dotted.substr(begin, dot - begin);
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &node->at(part);
    begin = dot + 1;
  }
  return node;
}

}  // namespace

SavedPromptsSetting saved_prompts_setting(const json& info, const PromptsRun& run,
                                          const std::filesystem::path& folder) {
  const std::string sha = at_path(info, {"model", "sha256"}, folder).get<std::string>();
  if (sha != run.weights_sha256) {
    throw usage_error("{}: the prompts were trained on a CLIP with weights sha256 {}..., "
                      "model.path has {}...",
                      folder.string(), sha.substr(0, 16), run.weights_sha256.substr(0, 16));
  }
  const std::string classes =
      hierarchy_difference(at_path(info, {"hierarchy"}, folder), json(run.hierarchy));
  if (!classes.empty()) {
    throw usage_error("{}: the prompts were trained on other classes: {}", folder.string(), classes);
  }
  SavedPromptsSetting setting;
  setting.method = at_path(info, {"method"}, folder).get<std::string>();
  const json run_config = run.config->to_json();
  check_set_key(*run.config, "method", setting.method, run_config.at("method"), folder);
  const json& saved = at_path(info, {"config", "hgclip"}, folder);
  std::vector<std::pair<std::string, json>> keys;
  leaves(run_config.at("hgclip"), "hgclip", keys);
  const json saved_root = {{"hgclip", saved}};
  for (const auto& [key, value] : keys) {
    const json* saved_value = find_leaf(saved_root, key);
    if (saved_value) check_set_key(*run.config, key, *saved_value, value, folder);
  }
  // The training run's switches, read back through the same schema (JSON is YAML). Keys it
  // did not have (an older hc) keep their defaults.
  ConfigSchema schema;
  setting.hgclip.declare(schema, "hgclip");
  schema.load_text(json{{"hgclip", saved}}.dump(), (folder / "hgclip.json").string());
  schema.validate(false);
  return setting;
}

}  // namespace hc
