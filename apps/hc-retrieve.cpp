// hc-retrieve: HierarCaps hierarchical retrieval (official semantics), qualitative chains and
// cross-modal R@K, from a model or given embeddings. The work is hc::run_retrieve.
#include "hc/eval/retrieve_command.h"
#include "hc/tool/tool_runner.h"

int main(int argc, char** argv) {
  hc::ToolInfo info(
      "hc-retrieve",
      "HierarCaps hierarchical retrieval with the official code's semantics (precision, recall, "
      "d_corr, beside calibration baselines and tier-4 cross-modal R@K), its qualitative chains "
      "(--mode qualitative: JSONL + HTML), or cross-modal R@K for any image-caption CSV "
      "(--mode crossmodal). See docs/hc-retrieve.md.",
      {"hc-retrieve --config configs/eval/hierarcaps.yaml --model openai/clip-vit-base-patch32",
       "hc-retrieve --embeddings embeds.safetensors --csv hierarcaps_test.csv -o -"});
  info.compute = hc::ToolCompute::Model;
  return hc::run_tool(hc::make_tool(info, hc::run_retrieve), argc, argv);
}
