// hc-finetune: Radial Embedding fine-tuning of a CLIP text tower (docs/hc-finetune.md).
#include "hc/core/tool.h"
#include "hc/tool/tool_runner.h"
#include "hc/train/finetune_command.h"

int main(int argc, char** argv) {
  hc::ToolInfo info(
      "hc-finetune",
      "Radial Embedding fine-tuning of a CLIP text tower on HierarCaps train-format hierarchies",
      {"hc-finetune --config configs/finetune/official.yaml --model openai/clip-vit-base-patch32 "
       "--data hierarcaps_train.csv.gz --out runs/finetune/re-model",
       "hc-finetune --config configs/finetune/official.yaml --model M --data D --resume "
       "runs/finetune/2024-01-01T00-00-00/checkpoint"});
  info.compute = hc::ToolCompute::Model;
  return hc::run_tool(hc::make_tool(info, hc::run_finetune), argc, argv);
}
