// hc-eval-zeroshot: zero-shot classification (image folders, CIFAR-10/100) with a CLIP model.
// The work is hc::run_zeroshot.
#include "hc/eval/zeroshot_command.h"
#include "hc/tool/tool_runner.h"

int main(int argc, char** argv) {
  hc::ToolInfo info(
      "hc-eval-zeroshot",
      "Zero-shot classification: top-1/top-5, per-class accuracy and the most frequent confusions, "
      "per level for hierarchical datasets (CIFAR-100 coarse/fine, folders with a hierarchy file), "
      "with each dataset's CLIP prompt templates. See docs/hc-eval-zeroshot.md.",
      {"hc-eval-zeroshot --model openai/clip-vit-base-patch32 --dataset cifar100 --cifar "
       "cifar-100-binary/test.bin --prompts ../shared/data/clip-prompts/prompts.md -o c100.json",
       "hc-eval-zeroshot --dataset cifar10 --write-synthetic /tmp/cifar/test_batch.bin"});
  info.compute = hc::ToolCompute::Model;
  return hc::run_tool(hc::make_tool(info, hc::run_zeroshot), argc, argv);
}
