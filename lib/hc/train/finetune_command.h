#pragma once
// hc-finetune: Radial Embedding fine-tuning of a CLIP text tower on HierarCaps train-format
// data (docs/hc-finetune.md). Writes the fine-tuned checkpoint folder (train.out), the per-step
// loss log loss.jsonl and its picture loss.svg beside the result, checkpoints to resume from
// (train.checkpoint_dir), and the result JSON with the validation before and after.
#include "hc/train/finetune_options.h"

namespace hc {

class RunResult;
struct RunContext;

void run_finetune(const FinetuneOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
