#include "hc/hub/hf_cache.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "hc/core/error.h"
#include "hc/hub/ascii_text.h"
#include "hc/hub/environment.h"

namespace hc::hub {
namespace fs = std::filesystem;

namespace {

fs::path user_cache_dir() {
  std::string xdg = env_value("XDG_CACHE_HOME");
  return xdg.empty() ? expand_user("~/.cache") : expand_user(xdg);
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool is_valid_repo_part(std::string_view part) {
  if (part.empty()) return false;
  if (!is_word_char(part.front()) || !is_word_char(part.back())) return false;
  for (char c : part) {
    if (!is_word_char(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

fs::path hf_home_dir() {
  std::string home = env_value("HF_HOME");
  return home.empty() ? user_cache_dir() / "huggingface" : expand_user(home);
}

fs::path hf_hub_cache_dir() {
  for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    std::string value = env_value(name);
    if (!value.empty()) return expand_user(value);
  }
  return hf_home_dir() / "hub";
}

bool is_valid_repo_id(std::string_view repo_id) {
  if (repo_id.empty() || repo_id.size() > 96) return false;
  if (repo_id.find("--") != std::string_view::npos ||
      repo_id.find("..") != std::string_view::npos) {
    return false;
  }
  size_t slash = repo_id.find('/');
  if (slash == std::string_view::npos) return is_valid_repo_part(repo_id);
  return is_valid_repo_part(repo_id.substr(0, slash)) &&
         is_valid_repo_part(repo_id.substr(slash + 1));
}

HubId parse_hub_id(const std::string& spec) {
  HubId id;
  size_t at = spec.find('@');
  id.repo_id = spec.substr(0, at);
  if (at != std::string::npos) {
    id.revision = spec.substr(at + 1);
    id.revision_given = true;
    if (id.revision.empty()) {
      throw usage_error("'{}' names no revision after '@' (expected org/name@revision)", spec);
    }
    check_revision(id.revision);
  }
  if (!is_valid_repo_id(id.repo_id)) {
    throw usage_error(
        "'{}' is not a hub model id (expected org/name or org/name@revision, with letters, "
        "digits, '-', '_' and '.')",
        spec);
  }
  return id;
}

void check_revision(const std::string& revision) {
  bool bad = revision.empty() || revision.front() == '/' || revision.back() == '/' ||
             revision.find("..") != std::string::npos;
  for (char c : revision) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '\\' || c == 0x7f) bad = true;
  }
  if (bad) {
    throw usage_error("'{}' is not a revision (expected a branch, tag or commit hash)", revision);
  }
}

bool is_commit_hash(std::string_view revision) {
  if (revision.size() != 40) return false;
  for (char c : revision) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

std::string repo_folder_name(const std::string& repo_id) {
  std::string name = "models--" + repo_id;
  size_t slash = name.find('/');
  if (slash != std::string::npos) name.replace(slash, 1, "--");
  return name;
}

std::optional<CachedSnapshot> find_cached_snapshot(const fs::path& cache_dir, const HubId& id) {
  fs::path repo = cache_dir / repo_folder_name(id.repo_id);
  std::error_code ec;
  if (!fs::is_directory(repo, ec)) return std::nullopt;

  std::string commit;
  fs::path ref = repo / "refs" / id.revision;
  if (fs::is_regular_file(ref, ec)) {
    std::ifstream in(ref);
    std::ostringstream content;
    content << in.rdbuf();
    commit = trim_ascii_space(content.str());
  } else if (is_commit_hash(id.revision)) {
    commit = id.revision;
  }
  if (commit.empty()) return std::nullopt;

  fs::path snapshot = repo / "snapshots" / commit;
  if (!fs::is_directory(snapshot, ec)) return std::nullopt;
  return CachedSnapshot{snapshot, commit};
}

}  // namespace hc::hub
