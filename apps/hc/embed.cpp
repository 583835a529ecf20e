// hc embed: texts and images -> CLIP embeddings (the work is hc::run_embed).
#include "commands.h"
#include "hc/embed/embed_command.h"

hc::ToolSpec hc::commands::embed() {
  ToolInfo info(
      "embed",
      "Embed texts and images with a CLIP model: writes text_embeds and image_embeds F32 [N, P] "
      "(unit length unless --raw) in input order to --output, and the result JSON beside it "
      "(OUT.json: the model, the settings and the inputs in order). Embeddings are cached on "
      "disk ($HC_CACHE_DIR/embeddings, else ${XDG_CACHE_HOME:-~/.cache}/hc/embeddings), so a "
      "re-run only computes new inputs.",
      {"hc embed --model openai/clip-vit-base-patch32 --texts captions.txt --images photos/ "
       "-o embeds.safetensors",
       "hc embed --model openai/clip-vit-base-patch32 --stream < requests.jsonl"},
      "Texts: a file of lines, FILE.jsonl (\"text\" field) or FILE.csv:COLUMN. Images: a folder, "
      "a list file (one path per line, relative to the list) or FILE.csv:COLUMN. --stream: the "
      "model opened once, then one request per stdin line ({\"text\": ...}, {\"image\": PATH}, "
      "optionally \"id\"; a line not starting with '{' is a text) answered with one JSON line on "
      "stdout, flushed ({\"id\", \"kind\", \"embedding\"} or {\"id\", \"error\"}); exit 1 if any "
      "request failed.");
  info.compute = ToolCompute::Model;
  info.output = ToolOutput::Data;
  return make_tool(info, run_embed);
}
