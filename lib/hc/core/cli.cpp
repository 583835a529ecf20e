#include "hc/core/cli.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <new>
#include <string>

#include "hc/core/error.h"
#include "hc/core/logging.h"
#include "hc/core/version.h"

namespace hc {
namespace {

// The message of a foreign exception as one line: its first non-empty line.
std::string first_line(const std::string& message) {
  std::size_t start = message.find_first_not_of("\n\r ");
  if (start == std::string::npos) return "unknown error";
  std::size_t end = message.find_first_of("\n\r", start);
  return message.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

int run_cli(CLI::App& app, int argc, char** argv) {
  init_logging("info");
  app.set_version_flag("--version", std::string("hc ") + version() + " (" + git_sha() + ")");
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" to CLI11 that exit 0; everything else is a usage error.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory: lower the batch size or the number of threads");
    return 1;
  } catch (const std::exception& e) {
    const std::string message = e.what();
    spdlog::error("{}", first_line(message));
    if (message.find('\n') != std::string::npos) spdlog::debug("full error: {}", message);
    return 1;
  }
}

}  // namespace hc
