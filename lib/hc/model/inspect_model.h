#pragma once
// What a checkpoint holds, read from its files' headers without loading any weights: naming
// scheme, architecture, parameters per tower and in total, stored dtypes, weights files and
// their sizes, the weights fingerprint, and which tokenizer and preprocessor files are present.
// What `hc inspect` prints. Light header (no torch).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hc/model/clip_config.h"

namespace hc {

struct ModelInspection {
  struct File {
    std::string name;
    std::filesystem::path path;
    uint64_t bytes = 0;
  };
  struct DtypeCount {
    int64_t tensors = 0;
    int64_t elements = 0;
  };

  std::string spec;
  std::filesystem::path path;   // the resolved folder or file, absolute
  std::string source;           // "folder", "file" or "hub cache"
  std::string repo_id, revision, commit;  // hub cache only
  std::string naming;           // "Hugging Face" or "OpenCLIP"
  std::string config_source;    // "config.json", "open_clip_config.json", "builtin NAME" or ""
  std::optional<ClipConfig> config;  // none when no config is found for the weights
  // Parameters (floating tensors other than "*position_ids" buffers), per tower: text = text
  // transformer + text projection, vision = vision transformer + visual projection, other =
  // logit_scale.
  int64_t text_parameters = 0;
  int64_t vision_parameters = 0;
  int64_t other_parameters = 0;
  int64_t total_parameters = 0;
  int64_t buffers = 0;          // "*position_ids" tensors, not counted as parameters
  std::map<std::string, DtypeCount> dtypes;  // safetensors dtype name -> every tensor of it
  std::vector<File> files;      // the weights files, in name order
  uint64_t total_bytes = 0;
  std::string weights_sha256;   // see weights_sha256()
  bool tokenizer = false;       // vocab.json + merges.txt beside the weights
  std::vector<std::string> other_files;  // tokenizer_config.json, preprocessor_config.json, ...
  bool preprocessor = false;    // preprocessor_config.json beside the weights
};

// spec: a checkpoint folder, a weights file or a cached hub id (hub::resolve_model_source);
// architecture: a builtin config name for a bare OpenCLIP file (as load_clip). A malformed or
// truncated weights file is an hc::Error naming it.
ModelInspection inspect_model(const std::string& spec, const std::string& architecture = "");

nlohmann::ordered_json inspection_json(const ModelInspection& inspection);
// A few aligned lines for people.
std::string inspection_text(const ModelInspection& inspection);

}  // namespace hc
