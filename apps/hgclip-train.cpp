// hgclip-train: HGCLIP and its prompt-learning baselines on a label hierarchy
// (docs/hgclip-train.md).
#include "hc/core/tool.h"
#include "hc/hgclip/hgclip_train_command.h"
#include "hc/tool/tool_runner.h"

int main(int argc, char** argv) {
  hc::ToolInfo info(
      "hgclip-train",
      "HGCLIP (or a prompt-learning baseline) on a frozen CLIP over a label hierarchy",
      {"hgclip-train --config configs/hgclip/cifar-100.yaml --model openai/clip-vit-base-patch16",
       "hgclip-train --config configs/hgclip/food-101.yaml --model M --method coop",
       "hgclip-train --config configs/hgclip/food-101.yaml --model M --resume "
       "runs/hgclip-train/2024-01-01T00-00-00/checkpoint"});
  info.compute = hc::ToolCompute::Model;
  return hc::run_tool(hc::make_tool(info, hc::run_hgclip_train), argc, argv);
}
