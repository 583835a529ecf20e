#include "hc/train/train_loop_paths.h"

#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/train/step_log.h"

namespace hc {

namespace fs = std::filesystem;

TrainLoopPaths train_loop_paths(const TrainLoopOptions& loop, const fs::path& out,
                                const fs::path& log_dir, bool replace, RunResult& result) {
  TrainLoopPaths paths;
  paths.checkpoint_dir =
      loop.checkpoint_dir.empty() ? result.artefact_path("checkpoint") : loop.checkpoint_dir;
  paths.final_dir = out.empty() ? result.artefact_path("model") : out;
  const fs::path logs = log_dir.empty() ? result.run_dir() : log_dir;
  fs::create_directories(logs);
  paths.log = logs / kStepLogFile;
  paths.curve = logs / "loss.svg";
  if (fs::exists(paths.final_dir) && !replace) {
    throw usage_error("train.out {} exists: give another folder, or --force to replace it",
                      paths.final_dir.string());
  }
  return paths;
}

}  // namespace hc
