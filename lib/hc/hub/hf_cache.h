#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

// The local Hugging Face hub cache, laid out exactly as the Python huggingface_hub library does,
// so checkpoints downloaded by either side are reused by the other:
//
//   <cache>/models--<org>--<name>/refs/<revision>          the commit hash the revision points at
//   <cache>/models--<org>--<name>/snapshots/<hash>/<file>  usually a symlink into blobs/
//   <cache>/models--<org>--<name>/blobs/<etag>             the content, named by its ETag
//   <cache>/models--<org>--<name>/.no_exist/<hash>/<file>  files known to be absent upstream
//   <cache>/.locks/models--<org>--<name>/<etag>.lock       held while a blob is downloaded
namespace hc::hub {

// The cache root: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE (its older name), else
// $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
// Empty variables count as unset; a leading ~ is expanded as Python's expanduser does.
std::filesystem::path hf_hub_cache_dir();

// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface (where the token file is).
std::filesystem::path hf_home_dir();

// A hub model id with the revision asked for ("main" when none was given).
struct HubId {
  std::string repo_id;          // "org/name" (or a legacy "name")
  std::string revision = "main";
  bool revision_given = false;  // whether the spec named one ("org/name@rev")
};

// Whether text could be a hub id ("org/name", "name", optionally "@revision"), by the rules
// huggingface_hub applies: letters, digits, '-', '_', '.', at most one '/', no "--" or "..",
// not starting or ending with '-' or '.', at most 96 characters.
bool is_valid_repo_id(std::string_view repo_id);

// Splits "org/name@revision". A malformed id or revision is a usage error.
HubId parse_hub_id(const std::string& spec);

// Throws a usage error unless revision can be a git branch, tag or commit: not empty, no "..",
// no leading '/', no spaces or control characters (it becomes a path under refs/).
void check_revision(const std::string& revision);

// A full 40-character lower-case hex commit hash: such a revision names a snapshot directly.
bool is_commit_hash(std::string_view revision);

// "models--org--name", the repo's folder name in the cache.
std::string repo_folder_name(const std::string& repo_id);

// A found snapshot: its folder and the commit it holds.
struct CachedSnapshot {
  std::filesystem::path path;
  std::string commit;
};

// The snapshot folder a revision selects in the cache, without checking what it contains:
// refs/<revision> gives the commit, or a revision that is a commit hash names it directly.
// Nothing when the repo, the ref or the snapshot folder is absent.
std::optional<CachedSnapshot> find_cached_snapshot(const std::filesystem::path& cache_dir,
                                                   const HubId& id);

}  // namespace hc::hub
