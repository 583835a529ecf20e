#include "hc/embed/cache_key_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "hc/core/atomic_file.h"
#include "hc/embed/embedding_shard.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;

void write_cache_key_description(const fs::path& folder, const std::string& kind, int64_t dim,
                                 const std::string& label, const std::string& settings) {
  const fs::path file = folder / kCacheKeyDescription;
  std::error_code ec;
  if (fs::exists(file, ec)) return;
  nlohmann::json settings_json =
      nlohmann::json::parse(settings, nullptr, /*allow_exceptions=*/false);
  if (settings_json.is_discarded()) settings_json = settings;
  const nlohmann::json description{{"format", kShardFormatVersion},
                                   {"kind", kind},
                                   {"dim", dim},
                                   {"label", label},
                                   {"settings", settings_json}};
  write_file_atomically(file, description.dump(2) + "\n");
}

nlohmann::json read_cache_key_description(const fs::path& folder) {
  try {
    nlohmann::json json = nlohmann::json::parse(read_text_file(folder / kCacheKeyDescription),
                                                nullptr, /*allow_exceptions=*/false);
    if (json.is_object()) return json;
  } catch (const std::exception&) {
    // missing or unreadable: described as unknown
  }
  return nlohmann::json::object();
}

bool touch_cache_key(const fs::path& folder) {
  const fs::path marker = folder / kCacheKeyLastUse;
  if (::utimensat(AT_FDCWD, marker.c_str(), nullptr, 0) == 0) return true;
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return ::utimensat(AT_FDCWD, marker.c_str(), nullptr, 0) == 0;
}

double file_mtime(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return 0;
  return static_cast<double>(info.st_mtim.tv_sec) + info.st_mtim.tv_nsec * 1e-9;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool set_file_mtime(const fs::path& file, double seconds) {
  struct timespec times[2];
  times[0].tv_sec = static_cast<time_t>(seconds);
  times[0].tv_nsec = static_cast<long>((seconds - static_cast<double>(times[0].tv_sec)) * 1e9);
  times[1] = times[0];
  return ::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0;
}

std::vector<fs::path> list_shard_files(const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const ShardFileKind kind = shard_file_kind(it->path());
    if (kind == ShardFileKind::Live || kind == ShardFileKind::Sealed) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace hc
