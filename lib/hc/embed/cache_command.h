#pragma once
// hc cache stats|prune|clear: the embedding cache folder as a whole (hc/embed/cache_admin.h).
// stats prints a table (the result JSON with --json or --output); prune and clear log what
// they did and record it in the result JSON when --output is given.
#include <filesystem>
#include <optional>
#include <string>

namespace hc {

class ConfigSchema;
class RunResult;
struct RunContext;

struct CacheCommandOptions {
  std::string action;                     // cache.action (positional): stats, prune or clear
  std::filesystem::path dir;              // cache.dir (--cache-dir); empty = the default
  bool json = false;                      // cache.json (--json): stats as the result JSON
  std::string max_size;                   // cache.max_size (--max-size): prune's cap, "20G"
  std::optional<double> older_than_days;  // cache.older_than_days (--older-than)
  bool compact = true;                    // cache.compact (--no-compact)
  std::string model_sha256;               // cache.model_sha256 (--model-sha256): clear one model

  void declare(ConfigSchema& schema);
};

void run_cache(const CacheCommandOptions& options, RunContext& context, RunResult& result);

}  // namespace hc
