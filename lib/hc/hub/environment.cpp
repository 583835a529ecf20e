#include "hc/hub/environment.h"

#include <cstdlib>

#include "hc/hub/ascii_text.h"

namespace hc::hub {

std::string env_value(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

bool env_flag(const char* name) {
  std::string value = ascii_lower(trim_ascii_space(env_value(name)));
  return value == "1" || value == "true" || value == "yes" || value == "on";
}

std::filesystem::path expand_user(const std::string& path) {
  if (path.empty() || path[0] != '~') return path;
  if (path.size() > 1 && path[1] != '/') return path;  // ~user is left alone
  std::string home = env_value("HOME");
  if (home.empty()) return path;
  return std::filesystem::path(home + path.substr(1));
}

}  // namespace hc::hub
