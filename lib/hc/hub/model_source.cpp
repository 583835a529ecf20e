#include "hc/hub/model_source.h"

#include "hc/core/error.h"
#include "hc/hub/hf_cache.h"

namespace hc::hub {
namespace fs = std::filesystem;

namespace {

// Text that can only be meant as a path: no hub id looks like this (a revision after '@' may
// hold slashes, as refs/pr/1 does).
bool looks_like_path(const std::string& spec) {
  std::string id = spec.substr(0, spec.find('@'));
  return id.empty() || id[0] == '/' || id[0] == '.' || id[0] == '~' ||
         id.find('/') != id.rfind('/') ||
         (id.size() > 12 && id.compare(id.size() - 12, 12, ".safetensors") == 0);
}

// A dangling symlink in the snapshot means its blob was removed or never finished.
void check_snapshot(const fs::path& snapshot, const HubId& id) {
  std::error_code ec;
  if (!fs::exists(snapshot / "config.json", ec) &&
      !fs::exists(snapshot / "open_clip_config.json", ec)) {
    throw runtime_error(
        "the cached snapshot {} of {}@{} has no config.json (or open_clip_config.json): it is "
        "incomplete; run `hc fetch {}` again",
        snapshot.string(), id.repo_id, id.revision, id.repo_id);
  }
  for (fs::recursive_directory_iterator it(snapshot, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_symlink(ec) && !fs::exists(it->path(), ec)) {
      throw runtime_error(
          "the cached file {} of {}@{} points at a missing blob ({}): run `hc fetch {}` again",
          it->path().string(), id.repo_id, id.revision, fs::read_symlink(it->path(), ec).string(),
          id.repo_id);
    }
  }
}

}  // namespace

ModelSource resolve_model_source(const std::string& spec, const fs::path& cache_dir) {
  std::error_code ec;
  if (!spec.empty() && fs::is_directory(spec, ec)) {
    return ModelSource{ModelSource::Kind::Directory, fs::path(spec), "", "", ""};
  }
  if (!spec.empty() && fs::exists(spec, ec)) {
    return ModelSource{ModelSource::Kind::File, fs::path(spec), "", "", ""};
  }
  if (looks_like_path(spec)) {
    throw runtime_error("no such model file or folder: '{}'", spec);
  }

  HubId id;
  try {
    id = parse_hub_id(spec);
  } catch (const Error& e) {
    throw usage_error("no such model file or folder, and {}", e.what());
  }
  fs::path repo = cache_dir / repo_folder_name(id.repo_id);
  std::optional<CachedSnapshot> snapshot = find_cached_snapshot(cache_dir, id);
  if (!snapshot) {
    std::string what = fs::is_directory(repo, ec)
                           ? fmt::format("has no snapshot for revision '{}'", id.revision)
                           : std::string("does not hold it");
    throw runtime_error(
        "'{}' is neither a local file or folder nor a model in the Hugging Face cache ({} {}); "
        "download it with `hc fetch {}`",
        spec, repo.string(), what, spec);
  }
  check_snapshot(snapshot->path, id);
  return ModelSource{ModelSource::Kind::HubCache, snapshot->path, id.repo_id, id.revision,
                     snapshot->commit};
}

ModelSource resolve_model_source(const std::string& spec) {
  return resolve_model_source(spec, hf_hub_cache_dir());
}

}  // namespace hc::hub
