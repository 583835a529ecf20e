#pragma once
// hc preprocess: images -> CLIP pixel_values F32 [N, 3, H, W] in a safetensors file, exactly as
// Hugging Face's CLIPImageProcessor (Pillow path) computes them.
#include <string>
#include <vector>

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct PreprocessCommandOptions {
  std::vector<std::string> images;  // preprocess.images (positional)
  std::string preprocessor;         // preprocess.config (--preprocessor): file or folder
  std::string preset = "clip_hf";   // preprocess.preset (--preset), when no config is given

  void declare(ConfigSchema& schema);
};

// Writes context.output (required) atomically, images decoded on context.threads() workers.
void run_preprocess(const PreprocessCommandOptions& options, RunContext& context,
                    RunResult& result);

}  // namespace hc
