#pragma once
#include <filesystem>
#include <string>

// Where a model named on the command line or in a config comes from: a local folder, a single
// weights file, or a hub id found in the local Hugging Face cache. Nothing here uses the network:
// a hub id that is not cached is an error that suggests `hc fetch <id>`.
namespace hc::hub {

struct ModelSource {
  enum class Kind { Directory, File, HubCache };

  Kind kind = Kind::Directory;
  std::filesystem::path path;  // the folder (a cache snapshot for HubCache) or the file
  // Set for Kind::HubCache only.
  std::string repo_id;
  std::string revision;
  std::string commit;
};

// Resolves spec in this order: an existing folder; an existing file (open_clip_model.safetensors);
// otherwise a hub id "org/name[@revision]" looked up in cache_dir. A cached snapshot must hold
// config.json or open_clip_config.json, and none of its files may point at a missing blob.
// Errors (hc::Error, one line): malformed id (usage), not found anywhere (says where it looked
// and suggests `hc fetch`), incomplete snapshot.
ModelSource resolve_model_source(const std::string& spec, const std::filesystem::path& cache_dir);

// The same with the cache of the environment (hf_hub_cache_dir()).
ModelSource resolve_model_source(const std::string& spec);

}  // namespace hc::hub
