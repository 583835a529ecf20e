// hc tokenize: texts -> CLIP BPE ids, one JSON line per text (hc::run_tokenize).
#include "commands.h"
#include "hc/text/tokenize_command.h"

hc::ToolSpec hc::commands::tokenize() {
  ToolInfo info(
      "tokenize",
      "Tokenize texts with CLIP's BPE (ids identical to OpenAI's simple_tokenizer) and write one "
      "JSON line {\"text\": ..., \"ids\": [...]} per text, in input order, to --output (default "
      "stdout; a file gets the result JSON beside it).",
      {"hc tokenize --vocab ../shared/data/clip-tokenizer captions.txt"},
      "Input: one text per line, or JSON lines with a \"text\" field when the file ends in .jsonl.");
  info.compute = ToolCompute::Threads;
  info.output = ToolOutput::Data;
  return make_tool(info, run_tokenize);
}
