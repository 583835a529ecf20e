#pragma once
// Where a training tool's run puts the loop's files, the same for every trainer: checkpoints in
// train.checkpoint_dir (else the run folder's checkpoint/), the result in train.out (else the run
// folder's model/), the step log and loss curve in train.log_dir (else the run folder).
#include <filesystem>

#include "hc/train/training_loop.h"

namespace hc {

class RunResult;

// Creates the log folder. An existing `out` without `replace` (--force) is a usage hc::Error
// naming train.out, raised before any training starts.
TrainLoopPaths train_loop_paths(const TrainLoopOptions& loop, const std::filesystem::path& out,
                                const std::filesystem::path& log_dir, bool replace,
                                RunResult& result);

}  // namespace hc
