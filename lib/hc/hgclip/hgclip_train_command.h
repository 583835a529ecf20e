#pragma once
// hgclip-train: HGCLIP (or a prompt-learning baseline, `method`) on a frozen CLIP over a label
// hierarchy and an image classification set (docs/hgclip-train.md). Runs the prototypes stage
// (cached) for HGCLIP, trains with the shared loop (checkpoints, SIGTERM save, --resume), steps
// the learning rate on the validation split's accuracy, and evaluates every test image at the
// end. Writes the trained prompts folder (train.out: only the learnable tensors, the prototypes
// and hgclip.json, loaded onto the base CLIP), loss.jsonl and loss.svg beside the result, and
// the result JSON with the per-level evaluation blocks.
#include "hc/hgclip/hgclip_train_options.h"

namespace hc {

class RunResult;
struct RunContext;

void run_hgclip_train(const HgclipTrainOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
