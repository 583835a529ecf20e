// hc-eval-hyperlex: graded lexical entailment (HyperLex) with the Radial Embedding geometry.
// The work is hc::run_hyperlex.
#include "hc/eval/hyperlex_command.h"
#include "hc/tool/tool_runner.h"

int main(int argc, char** argv) {
  hc::ToolInfo info(
      "hc-eval-hyperlex",
      "Spearman's rho between HyperLex gold ratings and the Radial Embedding score "
      "-Xi(e(WORD2), e(WORD1)) (each word embedded once in a prompt; root = the embedding of \"\" "
      "by default), over all pairs, nouns and verbs, with per-relation means and the cosine and "
      "genericness baselines. See docs/hc-eval-hyperlex.md.",
      {"hc-eval-hyperlex --config configs/eval/hyperlex.yaml --model "
       "openai/clip-vit-base-patch32 -o hyperlex.json",
       "hc-eval-hyperlex --data hyperlex-all.txt --embeddings words.safetensors --words "
       "words.json -o -"});
  info.compute = hc::ToolCompute::Model;
  return hc::run_tool(hc::make_tool(info, hc::run_hyperlex), argc, argv);
}
