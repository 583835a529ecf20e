// hc init-model: a randomly initialised CLIP checkpoint with real shapes (hc::run_init_model).
#include "commands.h"
#include "hc/model/init_model_command.h"

hc::ToolSpec hc::commands::init_model() {
  ToolInfo info(
      "init-model",
      "Write a randomly initialised CLIP checkpoint with the real shapes of an architecture in "
      "Hugging Face layout (config.json, model.safetensors, tokenizer and preprocessor files), "
      "for tests and benchmarks. The folder appears only once complete. Prints its path (or "
      "writes the result JSON with --output).",
      {"hc init-model --arch ViT-B-32 --seed 0 --out runs/vit-b-32-random "
       "--vocab data/downloads/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz"});
  info.compute = ToolCompute::Threads;
  info.output = ToolOutput::ResultIfAsked;
  return make_tool(info, run_init_model);
}
