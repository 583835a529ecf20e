#include "hc/embed/shard_spec.h"

#include <cctype>

#include "hc/core/config.h"
#include "hc/core/error.h"

namespace hc {

namespace {

// A plain non-negative decimal integer, or -1.
long long parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9) return -1;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  }
  return std::stoll(text);
}

}  // namespace

std::string ShardSpec::str() const { return std::to_string(index) + "/" + std::to_string(count); }

ShardSpec parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  const long long index = slash == std::string::npos ? -1 : parse_count(text.substr(0, slash));
  const long long count = slash == std::string::npos ? -1 : parse_count(text.substr(slash + 1));
  if (index < 0 || count < 0) {
    throw usage_error(
        "--shard: expected I/N (shard I of N, 0-based, e.g. 0/8 or "
        "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), got '{}'",
        text);
  }
  if (count < 1) throw usage_error("--shard {}: the shard count must be at least 1", text);
  if (index >= count) {
    throw usage_error("--shard {}: shards are numbered from 0, so I must be below N{}", text,
                      index == count ? " (a SLURM array numbered from 1? use --array=0-" +
                                           std::to_string(count - 1) + ")"
                                     : "");
  }
  return ShardSpec{static_cast<int>(index), static_cast<int>(count)};
}

std::pair<std::size_t, std::size_t> shard_range(std::size_t items, const ShardSpec& shard) {
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    throw usage_error("shard {} is not a shard of {}", shard.str(), shard.count);
  }
  const std::size_t n = static_cast<std::size_t>(shard.count);
  const std::size_t i = static_cast<std::size_t>(shard.index);
  // floor(items * k / n) in 128 bits: no overflow whatever the sizes.
  const auto boundary = [&](std::size_t k) {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(items) * k) / n);
  };
  return {boundary(i), boundary(i + 1)};
}

void declare_shard(ConfigSchema& schema, std::string& shard) {
  schema.add("shard", shard,
             "only fill the embedding cache with share I/N of the inputs (0-based: "
             "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), then stop; empty = the whole run")
      .check([](const std::string& text) {
        if (text.empty()) return true;
        try {
          parse_shard(text);
          return true;
        } catch (const Error&) {
          return false;
        }
      }, "I/N with 0 <= I < N")
      .flag("--shard");
}

}  // namespace hc
