#pragma once
// hc fetch: downloads a checkpoint into the Hugging Face cache. Prints its snapshot folder, or
// with --output records the download (repo, revision, commit, files) in the result JSON.
#include <string>
#include <vector>

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct FetchCommandOptions {
  std::string model;               // fetch.model: org/name or org/name@revision (positional)
  std::string revision;            // fetch.revision: branch, tag or commit
  std::vector<std::string> files;  // fetch.files: only these files (each may be comma-separated)
  std::string cache_dir;           // fetch.cache_dir: hub cache folder

  void declare(ConfigSchema& schema);
};

void run_fetch(const FetchCommandOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
