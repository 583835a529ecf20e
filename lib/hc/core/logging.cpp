#include "hc/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "hc/core/error.h"

namespace hc {

void init_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw usage_error("--log-level: unknown level '{}' (expected trace, debug, info, warn, error, "
                      "critical or off)", level);
  }
  static bool created = false;
  if (!created) {
    auto logger = spdlog::stderr_color_mt("hc");
    logger->set_pattern("[%H:%M:%S] [%^%l%$] %v");
    spdlog::set_default_logger(logger);
    created = true;
  }
  spdlog::set_level(parsed);
}

}  // namespace hc
