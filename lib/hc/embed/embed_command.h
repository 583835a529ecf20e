#pragma once
// hc embed: texts and images -> embeddings in a safetensors file; the result JSON (model,
// settings, the inputs in order, the engine's counters) is its sidecar (OUT.json).
#include <string>

#include "hc/embed/model_options.h"

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct EmbedCommandOptions {
  ModelOptions model;  // model.* (--model, --arch, --vocab, --preprocess, --batch-size, --no-cache)
  std::string texts;   // embed.texts: FILE, FILE.jsonl or FILE.csv:COLUMN (hc/embed/inputs.h)
  std::string images;  // embed.images: FOLDER, LIST_FILE or FILE.csv:COLUMN
  bool raw = false;    // embed.raw: the projected embeddings as they are (no unit norm)
  std::string shard;   // shard (--shard I/N): only fill the cache with that share, no output
  bool stream = false; // embed.stream: requests on stdin, one JSON line each on stdout

  void declare(ConfigSchema& schema);
};

// Reads the inputs (failing before the model loads when one is missing), embeds them and
// writes `text_embeds` / `image_embeds` F32 [N, P] in input order to context.output
// atomically; fills result with the model identity, settings, inputs and counters (the tool
// layer writes it beside the output, and removes the output if that fails).
// With options.stream: opens the model, then answers requests from standard input on standard
// output until its end (hc/embed/embed_stream.h); a runtime hc::Error when any request failed,
// the stop error (exit 128 + signal) after SIGTERM / SIGINT, the one-line summary either way.
void run_embed(const EmbedCommandOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
