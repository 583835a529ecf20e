#include "hc/embed/cache_command.h"

#include <spdlog/spdlog.h>

#include <iostream>

#include "hc/core/byte_size.h"
#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/embed/cache_admin.h"
#include "hc/embed/embed_options.h"
#include "hc/embed/embedding_cache.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

// The report's fields at the top level of the result, beside the run's metadata.
void record(const nlohmann::ordered_json& report, RunResult& result) {
  for (const auto& [key, value] : report.items()) result.set(key, value);
}

void run_stats(const CacheCommandOptions& options, const fs::path& dir, RunContext& context,
               RunResult& result) {
  const CacheStats stats = cache_stats(dir);
  record(cache_stats_json(stats), result);
  if (!context.output.empty()) return;
  if (options.json) {
    result.set_output("-");
  } else {
    std::cout << cache_stats_text(stats) << std::flush;
  }
}

void run_prune(const CacheCommandOptions& options, const fs::path& dir, RunResult& result) {
  PruneOptions prune;
  prune.max_bytes = options.max_size.empty() ? EmbedOptions{}.cache_max_bytes
                                             : parse_byte_size(options.max_size, "--max-size");
  prune.older_than_days = options.older_than_days;
  prune.compact = options.compact;
  const PruneReport report = prune_cache(dir, prune);
  spdlog::info("pruned {}: removed {} keys and {} other files ({}), compacted {} keys; {} left{}",
               dir.string(), report.keys_removed, report.other_files_removed,
               format_byte_size(report.bytes_removed), report.keys_compacted,
               format_byte_size(report.bytes_after),
               report.over_cap ? " (over the cap: the rest was used in the last 10 minutes)" : "");
  record(prune_report_json(report), result);
}

void run_clear(const CacheCommandOptions& options, const fs::path& dir, RunResult& result) {
  const ClearReport report = clear_cache(dir, options.model_sha256);
  spdlog::info("cleared {}: removed {} keys and {} other files ({})", dir.string(),
               report.keys_removed, report.other_files_removed,
               format_byte_size(report.bytes_removed));
  record(clear_report_json(report), result);
}

}  // namespace

void CacheCommandOptions::declare(ConfigSchema& schema) {
  schema.add("cache.action", action, "stats, prune or clear")
      .required()
      .one_of({"stats", "prune", "clear"})
      .flag("action");
  schema.add("cache.dir", dir,
             "embedding cache folder (default: $HC_CACHE_DIR/embeddings, else "
             "${XDG_CACHE_HOME:-~/.cache}/hc/embeddings)")
      .flag("--cache-dir");
  schema.add("cache.json", json, "stats: print the result JSON instead of the table")
      .flag("--json");
  schema.add("cache.max_size", max_size,
             "prune: size cap, e.g. 500M, 20G, 1.5T (0 = none; default 20G)")
      .flag("--max-size");
  schema.add("cache.older_than_days", older_than_days,
             "prune: remove keys not used for this many days")
      .check_non_negative()
      .flag("--older-than");
  schema.add("cache.compact", compact, "prune: merge the shards of each key")
      .flag_value("--no-compact", "false");
  schema.add("cache.model_sha256", model_sha256,
             "clear: only the keys of the weights with this SHA-256 (hc inspect shows it)")
      .flag("--model-sha256");
}

void run_cache(const CacheCommandOptions& options, RunContext& context, RunResult& result) {
  const fs::path dir = options.dir.empty() ? default_embedding_cache_dir() : options.dir;
  result.set("cache_dir", dir.string());
  if (options.action == "stats") {
    run_stats(options, dir, context, result);
  } else if (options.action == "prune") {
    run_prune(options, dir, result);
  } else {
    run_clear(options, dir, result);
  }
}

}  // namespace hc
