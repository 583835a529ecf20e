#pragma once
// hc embed: texts and images -> embeddings in a safetensors file plus a JSON sidecar.
#include <string>

#include "hc/embed/embed_options.h"

namespace hc {

struct EmbedCommandOptions {
  std::string model;         // folder, weights file or hub id
  std::string architecture;  // builtin config name for a bare OpenCLIP weights file
  std::string vocab;         // tokenizer files when the checkpoint has none
  std::string preprocess;    // preprocessor_config.json / folder / preset; empty = checkpoint's
  std::string texts;         // see hc/embed/inputs.h
  std::string images;
  std::string output;        // OUT.safetensors; the sidecar is OUT.json
  std::string device = "cpu";
  std::string dtype = "fp32";
  int threads = 0;           // decode / tokenise workers and torch's CPU threads
  EmbedOptions embed;        // batch size, normalise (false = --raw), cache
};

// The sidecar path of an output: OUT.safetensors -> OUT.json, anything else + ".json".
std::string embed_sidecar_path(const std::string& output);

// Reads the inputs (failing before the model loads when one is missing), embeds them and
// writes `text_embeds` / `image_embeds` F32 [N, P] in input order to options.output and the
// sidecar (model identity, settings, the texts and image paths in order, cache counters), each
// atomically. On any error neither file is left behind.
void run_embed(const EmbedCommandOptions& options);

}  // namespace hc
