// hc fetch: a checkpoint from the Hugging Face hub into the local cache (hc::run_fetch).
#include "commands.h"
#include "hc/hub/fetch_command.h"

hc::ToolSpec hc::commands::fetch() {
  ToolInfo info(
      "fetch",
      "Download a model from the Hugging Face hub into the local cache (shared with Python's "
      "huggingface_hub) and print its snapshot folder; with --output FILE ('-' for stdout) write "
      "the result JSON instead.",
      {"hc fetch openai/clip-vit-base-patch32"},
      "Environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE");
  info.output = ToolOutput::ResultIfAsked;
  return make_tool(info, run_fetch);
}
