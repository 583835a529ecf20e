// hc preprocess: images -> CLIP pixel_values in a safetensors file (hc::run_preprocess).
#include "commands.h"
#include "hc/vision/preprocess_command.h"

hc::ToolSpec hc::commands::preprocess() {
  ToolInfo info(
      "preprocess",
      "Decode and preprocess images exactly as Hugging Face's CLIPImageProcessor (Pillow path) "
      "and write pixel_values F32 [N, 3, H, W] in argument order to a safetensors file, with "
      "__metadata__.order listing the inputs; the result JSON goes beside it.",
      {"hc preprocess --output pixels.safetensors a.jpg b.png"});
  info.compute = ToolCompute::Threads;
  info.output = ToolOutput::Data;
  return make_tool(info, run_preprocess);
}
