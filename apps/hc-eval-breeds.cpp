// hc-eval-breeds: BREEDS label-pair prediction with the Radial Embedding geometry.
// The work is hc::run_breeds.
#include "hc/eval/breeds_command.h"
#include "hc/tool/tool_runner.h"

int main(int argc, char** argv) {
  hc::ToolInfo info(
      "hc-eval-breeds",
      "R@1 / R@5 of the (superclass, subclass) pair of BREEDS images among all ordered label "
      "pairs scored s(x) + s(y) - lambda * Xi(x, y), lambda by two-fold cross-validation, with "
      "the chance, lambda = 0 and single-prompt baselines. See docs/hc-eval-breeds.md.",
      {"hc-eval-breeds --config configs/eval/breeds.yaml --model openai/clip-vit-base-patch32 "
       "--subset entity30 --imagenet ~/data/imagenet/val -o entity30.json",
       "hc-eval-breeds --write-synthetic /tmp/breeds-demo"});
  info.compute = hc::ToolCompute::Model;
  return hc::run_tool(hc::make_tool(info, hc::run_breeds), argc, argv);
}
