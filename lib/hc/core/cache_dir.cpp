#include "hc/core/cache_dir.h"

#include <cstdlib>
#include <string>

namespace hc {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

fs::path hc_cache_dir() {
  if (std::string dir = env("HC_CACHE_DIR"); !dir.empty()) return dir;
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "hc";
  const std::string home = env("HOME");
  return (home.empty() ? fs::temp_directory_path() : fs::path(home)) / ".cache" / "hc";
}

}  // namespace hc
