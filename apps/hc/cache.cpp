// hc cache: the embedding cache's size, pruning and clearing (the work is in
// hc/embed/cache_admin.h).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"
#include "hc/core/atomic_file.h"
#include "hc/core/byte_size.h"
#include "hc/core/cli.h"
#include "hc/core/error.h"
#include "hc/embed/cache_admin.h"
#include "hc/embed/embed_options.h"
#include "hc/embed/embedding_cache.h"

namespace hc::commands {
namespace {

struct CacheCommand {
  CommonOptions common;
  std::string cache_dir;
  bool json = false;                      // stats
  std::string max_size;                   // prune
  std::optional<double> older_than_days;  // prune
  bool no_compact = false;                // prune
  std::string model_sha256;               // clear
};

std::filesystem::path cache_dir(const CacheCommand& command) {
  return command.cache_dir.empty() ? default_embedding_cache_dir()
                                   : std::filesystem::path(command.cache_dir);
}

// JSON to --output (a file, or '-' for stdout) when asked for.
void write_json(const CacheCommand& command, const nlohmann::ordered_json& json) {
  const std::string& output = command.common.output;
  if (output == "-") {
    std::cout << json.dump(2) << std::endl;
  } else if (!output.empty()) {
    write_file_atomically(output, json.dump(2) + "\n");
  }
}

void run_stats(const CacheCommand& command) {
  apply_common_options(command.common);
  const CacheStats stats = cache_stats(cache_dir(command));
  if (command.json && command.common.output.empty()) {
    std::cout << cache_stats_json(stats).dump(2) << std::endl;
  } else if (command.common.output.empty()) {
    std::cout << cache_stats_text(stats) << std::flush;
  }
  write_json(command, cache_stats_json(stats));
}

void run_prune(const CacheCommand& command) {
  apply_common_options(command.common);
  PruneOptions options;
  options.max_bytes = command.max_size.empty() ? EmbedOptions{}.cache_max_bytes
                                               : parse_byte_size(command.max_size, "--max-size");
  options.older_than_days = command.older_than_days;
  options.compact = !command.no_compact;
  const PruneReport report = prune_cache(cache_dir(command), options);
  spdlog::info("pruned {}: removed {} keys and {} other files ({}), compacted {} keys; {} left{}",
               cache_dir(command).string(), report.keys_removed, report.other_files_removed,
               format_byte_size(report.bytes_removed), report.keys_compacted,
               format_byte_size(report.bytes_after),
               report.over_cap ? " (over the cap: the rest was used in the last 10 minutes)" : "");
  write_json(command, prune_report_json(report));
}

void run_clear(const CacheCommand& command) {
  apply_common_options(command.common);
  const ClearReport report = clear_cache(cache_dir(command), command.model_sha256);
  spdlog::info("cleared {}: removed {} keys and {} other files ({})", cache_dir(command).string(),
               report.keys_removed, report.other_files_removed,
               format_byte_size(report.bytes_removed));
  write_json(command, clear_report_json(report));
}

CLI::App* add_action(CLI::App& parent, const std::string& name, const std::string& help,
                     CacheCommand& command) {
  CLI::App* sub = parent.add_subcommand(name, help);
  sub->add_option("--cache-dir", command.cache_dir,
                  "Embedding cache folder (default: $HC_CACHE_DIR/embeddings, else "
                  "${XDG_CACHE_HOME:-~/.cache}/hc/embeddings)");
  add_common_options(*sub, command.common, hc::CommonOptionSet{false, false, false});
  return sub;
}

}  // namespace

void add_cache(CLI::App& app) {
  auto command = std::make_shared<CacheCommand>();
  CLI::App* cache = app.add_subcommand(
      "cache",
      "Look after the on-disk embedding cache that hc embed, hc-retrieve and hc-eval-hyperlex "
      "share: one folder per model and settings, filled by any number of processes at once.\n"
      "Examples: hc cache stats; hc cache prune --max-size 50G --older-than 30; "
      "hc cache clear --model-sha256 SHA");
  cache->require_subcommand(1);

  CLI::App* stats = add_action(
      *cache, "stats",
      "Keys (model, settings, text or image), records, bytes and last use, least recently used "
      "first. Text on stdout; JSON with --json or --output FILE.",
      *command);
  stats->add_flag("--json", command->json, "Print JSON instead of text");
  stats->callback([command] { run_stats(*command); });

  CLI::App* prune = add_action(
      *cache, "prune",
      "Merge each key's shards, remove keys unused for --older-than DAYS, then remove the least "
      "recently used keys until the cache holds at most --max-size. Keys used in the last 10 "
      "minutes are kept. --output FILE ('-' for stdout) writes a JSON report.",
      *command);
  prune->add_option("--max-size", command->max_size,
                    "Size cap, e.g. 500M, 20G, 1.5T (0 = none; default 20G)");
  prune
      ->add_option("--older-than", command->older_than_days,
                   "Remove keys not used for this many days")
      ->check(CLI::NonNegativeNumber);
  prune->add_flag("--no-compact", command->no_compact, "Leave the shards of each key as they are");
  prune->callback([command] { run_prune(*command); });

  CLI::App* clear = add_action(
      *cache, "clear",
      "Remove every key, or with --model-sha256 only those of one model's weights (the sha256 "
      "that hc inspect and the result JSONs show).",
      *command);
  clear->add_option("--model-sha256", command->model_sha256,
                    "Only the keys of the weights with this SHA-256");
  clear->callback([command] { run_clear(*command); });
}

}  // namespace hc::commands
