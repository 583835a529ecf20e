#include "hc/core/atomic_directory.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

std::atomic<unsigned long long> g_folder_counter{0};

// The host name as it can stand in a file name (it tells leftovers of other machines sharing a
// network file system apart from this one's).
const std::string& host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') {
      return std::string("host");
    }
    std::string text(buffer);
    for (char& c : text) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    }
    return text;
  }();
  return name;
}

fs::path parent_of(const fs::path& target) {
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

// ".<name>.<kind>.<host>.": the start of every temporary sibling of `kind` made on this host.
std::string sibling_prefix(const fs::path& target, const char* kind) {
  return fmt::format(".{}.{}.{}.", target.filename().string(), kind, host_name());
}

fs::path new_sibling(const fs::path& target, const char* kind) {
  return parent_of(target) / fmt::format("{}{}.{}", sibling_prefix(target, kind), ::getpid(),
                                         g_folder_counter.fetch_add(1));
}

// The pid in "<prefix><pid>.<n>", or 0 when `entry` is not such a name.
pid_t leftover_pid(const std::string& entry, const std::string& prefix) {
  if (entry.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string rest = entry.substr(prefix.size());
  const std::size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos || dot > 9 || dot + 1 == rest.size()) return 0;
  if (rest.find_first_not_of("0123456789.") != std::string::npos) return 0;
  return static_cast<pid_t>(std::stol(rest.substr(0, dot)));  // at most 9 digits: no overflow
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Removes what killed runs on this host left beside target: their temporary folders always, a
// folder an interrupted replacement moved aside only once the target exists again (else it is
// the only copy, and is left, with a warning).
void remove_leftovers(const fs::path& target) {
  const std::string tmp_prefix = sibling_prefix(target, "tmp");
  const std::string old_prefix = sibling_prefix(target, "old");
  std::error_code ec;
  const bool target_exists = fs::exists(target, ec);
  for (const auto& entry : fs::directory_iterator(parent_of(target), ec)) {
    const std::string name = entry.path().filename().string();
    const pid_t tmp_pid = leftover_pid(name, tmp_prefix);
    const pid_t old_pid = leftover_pid(name, old_prefix);
    const pid_t pid = tmp_pid != 0 ? tmp_pid : old_pid;
    if (pid == 0 || pid == ::getpid() || !process_gone(pid)) continue;
    if (old_pid != 0 && !target_exists) {
      spdlog::warn("{} holds the previous {}, moved aside by an interrupted replacement; it is "
                   "kept (rename it back to use it)",
                   entry.path().string(), target.string());
      continue;
    }
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
    spdlog::info("removed {}, left by an interrupted run", entry.path().string());
  }
}

// fsync of every file and folder under dir, and dir itself.
void sync_tree(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec) || it->is_directory(ec)) sync_path(it->path());
  }
  if (ec) throw runtime_error("cannot list {}: {}", dir.string(), ec.message());
  sync_path(dir);
}

#if defined(__linux__) && defined(RENAME_NOREPLACE) && defined(RENAME_EXCHANGE)
constexpr bool kHaveRenameat2 = true;
int rename_with(const fs::path& from, const fs::path& to, unsigned flags) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags);
}
constexpr unsigned kNoReplace = RENAME_NOREPLACE;
constexpr unsigned kExchange = RENAME_EXCHANGE;
#else
constexpr bool kHaveRenameat2 = false;
int rename_with(const fs::path&, const fs::path&, unsigned) {
  errno = ENOSYS;
  return -1;
}
constexpr unsigned kNoReplace = 0;
constexpr unsigned kExchange = 0;
#endif

// renameat2 flags the kernel or the file system does not offer.
bool unsupported(int error) { return error == EINVAL || error == ENOSYS || error == ENOTSUP; }

}  // namespace

AtomicDirectory::AtomicDirectory(fs::path target, IfExists if_exists)
    : target_(std::move(target)), if_exists_(if_exists) {
  target_ = target_.lexically_normal();
  if (target_.filename().empty()) target_ = target_.parent_path();  // "dir/" -> "dir"
  if (target_.empty() || target_.filename() == "." || target_.filename() == "..") {
    throw usage_error("'{}' cannot be an output folder", target_.string());
  }
  std::error_code ec;
  fs::create_directories(parent_of(target_), ec);
  if (ec) {
    throw runtime_error("cannot create the folder {}: {}", parent_of(target_).string(),
                        ec.message());
  }
  if (if_exists_ == IfExists::Refuse && fs::exists(target_, ec)) {
    throw usage_error("{} already exists", target_.string());
  }
  remove_leftovers(target_);
  for (;;) {
    temp_ = new_sibling(target_, "tmp");
    if (::mkdir(temp_.c_str(), 0777) == 0) break;
    if (errno != EEXIST) {
      throw runtime_error("cannot create the folder {}: {}", temp_.string(),
                          std::generic_category().message(errno));
    }
  }
}

AtomicDirectory::~AtomicDirectory() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(temp_, ignored);
}

void AtomicDirectory::commit() {
  if (committed_) throw runtime_error("{}: committed twice", target_.string());
  sync_tree(temp_);
  std::error_code ec;
  if (if_exists_ == IfExists::Replace && fs::exists(target_, ec)) {
    replace_existing();
  } else {
    place_new();
  }
  committed_ = true;
  sync_path(parent_of(target_));
}

void AtomicDirectory::place_new() {
  if (rename_with(temp_, target_, kNoReplace) == 0) return;
  if (kHaveRenameat2 && (errno == EEXIST || errno == ENOTEMPTY)) {
    if (if_exists_ == IfExists::Replace) return replace_existing();
    throw usage_error("{} already exists (created meanwhile?)", target_.string());
  }
  if (kHaveRenameat2 && !unsupported(errno)) {
    throw runtime_error("cannot rename {} to {}: {}", temp_.string(), target_.string(),
                        std::generic_category().message(errno));
  }
  // No atomic no-replace rename here: check, then rename (which would replace an empty folder).
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    throw usage_error("{} already exists (created meanwhile?)", target_.string());
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    throw runtime_error("cannot rename {} to {}: {}", temp_.string(), target_.string(),
                        std::generic_category().message(errno));
  }
}

void AtomicDirectory::replace_existing() {
  std::error_code ignored;
  if (rename_with(temp_, target_, kExchange) == 0) {
    // temp_ now holds the old folder.
    fs::remove_all(temp_, ignored);
    return;
  }
  if (kHaveRenameat2 && !unsupported(errno)) {
    throw runtime_error("cannot replace {}: {}", target_.string(),
                        std::generic_category().message(errno));
  }
  const fs::path old = new_sibling(target_, "old");
  if (::rename(target_.c_str(), old.c_str()) != 0) {
    throw runtime_error("cannot replace {}: cannot move it aside: {}", target_.string(),
                        std::generic_category().message(errno));
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int error = errno;
    ::rename(old.c_str(), target_.c_str());
    throw runtime_error("cannot rename {} to {}: {}", temp_.string(), target_.string(),
                        std::generic_category().message(error));
  }
  fs::remove_all(old, ignored);
}

}  // namespace hc
