#pragma once
// Running a tool (hc/core/tool.h) from main: the command line every binary shares.
#include <string>
#include <vector>

#include "hc/core/tool.h"

namespace hc {

// Parses the command line, loads the config, runs the tool and writes its result; returns the
// exit code (for main). Every failure is one line on stderr.
int run_tool(ToolSpec tool, int argc, char** argv);

// A binary with subcommands (the `hc` utility): each tool is one subcommand.
int run_tools(const std::string& program, const std::string& purpose,
              std::vector<ToolSpec> tools, int argc, char** argv);

}  // namespace hc
