#pragma once
#include "hc/core/tool.h"

// Each subcommand of the `hc` utility declares itself in its own file: its info and the library
// function that runs it.
namespace hc::commands {
ToolSpec cache();
ToolSpec embed();
ToolSpec fetch();
ToolSpec init_model();
ToolSpec inspect();
ToolSpec preprocess();
ToolSpec tokenize();
}  // namespace hc::commands
