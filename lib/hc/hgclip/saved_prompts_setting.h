#pragma once
// Trained prompts mean something only in the setting they were trained in: the same frozen CLIP,
// the same classes in the same order, the same method and hgclip.* switches. Tensors of the same
// shapes load onto another setting without complaint and give plausible-looking numbers, so
// hgclip-train --evaluate takes the method and hgclip.* from the folder's hgclip.json and checks
// the rest of the run against it.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/hgclip/hgclip_options.h"

namespace hc {

class ConfigSchema;

struct SavedPromptsSetting {
  std::string method;
  HgclipOptions hgclip;
};

struct PromptsRun {
  std::string weights_sha256;        // the opened base CLIP's weights
  nlohmann::ordered_json hierarchy;  // ClassHierarchy::to_json() of the run's classes
  const ConfigSchema* config = nullptr;  // the run's keys: which were set, and to what
};

// `info`: the folder's hgclip.json ({method, model: {sha256}, hierarchy, config: {hgclip}}).
// Usage hc::Errors name the folder, what differs and both values: other weights, other classes
// or class order, a method or hgclip.* key the run's config sets to another value than the
// training run's (keys left at their defaults take the training run's value).
SavedPromptsSetting saved_prompts_setting(const nlohmann::json& info, const PromptsRun& run,
                                          const std::filesystem::path& folder);

}  // namespace hc
