#pragma once
#include <string>

namespace hc {

// Sends spdlog's default logger to stderr (stdout is kept for JSON in pipelines) at the given
// level: trace, debug, info, warn, error, critical or off. An unknown level is a usage error.
void init_logging(const std::string& level);

}  // namespace hc
