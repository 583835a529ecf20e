// hc inspect: what a checkpoint holds, from its file headers (hc::run_inspect).
#include "commands.h"
#include "hc/model/inspect_command.h"

hc::ToolSpec hc::commands::inspect() {
  ToolInfo info(
      "inspect",
      "Describe a CLIP checkpoint without loading it: naming scheme, architecture, parameters "
      "per tower, stored dtypes, weights files and sizes, weights SHA-256, tokenizer and "
      "preprocessor files. Human-readable on stdout; the result JSON with --json or --output.",
      {"hc inspect openai/clip-vit-base-patch32"});
  info.output = ToolOutput::ResultIfAsked;
  return make_tool(info, run_inspect);
}
