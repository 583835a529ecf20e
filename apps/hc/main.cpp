// hc: the utility binary (cache, embed, fetch, init-model, inspect, preprocess, tokenize).
#include "commands.h"
#include "hc/tool/tool_runner.h"

int main(int argc, char** argv) {
  namespace commands = hc::commands;
  return hc::run_tools("hc", "utilities for visual-semantic hierarchies in CLIP-like models",
                       {commands::cache(), commands::embed(), commands::fetch(), commands::init_model(),
                        commands::inspect(), commands::preprocess(), commands::tokenize()},
                       argc, argv);
}
