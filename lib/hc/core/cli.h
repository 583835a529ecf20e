#pragma once
// Running a parsed command line: every failure becomes one line on stderr and an exit code.
// The tool layer (hc/tool/) builds the CLI11 app every binary shares; this is its last step.

namespace CLI {
class App;
}

namespace hc {

// Parses argv into app and runs the selected callbacks, turning every failure into a one-line
// error on stderr and an exit code: 0 success, 2 usage or config error, 1 runtime failure, or
// the code an hc::Error carries (128 + signal for a run stopped by SIGTERM / SIGINT). An
// exception from a third-party library (a torch error carries a C++ backtrace) is reported by
// its first line; the rest goes to the debug log.
int run_cli(CLI::App& app, int argc, char** argv);

}  // namespace hc
