// hc cache: the embedding cache's size, pruning and clearing (hc::run_cache).
#include "commands.h"
#include "hc/embed/cache_command.h"

hc::ToolSpec hc::commands::cache() {
  ToolInfo info(
      "cache",
      "Look after the on-disk embedding cache that hc embed, hc-retrieve and hc-eval-hyperlex "
      "share (one folder per model and settings, filled by any number of processes at once): "
      "stats (keys, records, bytes, last use; a table, or the result JSON with --json or "
      "--output), prune (merge shards, drop keys unused for --older-than DAYS, then the least "
      "recently used down to --max-size; keys used in the last 10 minutes stay), clear "
      "(everything, or one model's keys with --model-sha256).",
      {"hc cache stats", "hc cache prune --max-size 50G --older-than 30",
       "hc cache clear --model-sha256 SHA"});
  info.output = ToolOutput::ResultIfAsked;
  return make_tool(info, run_cache);
}
