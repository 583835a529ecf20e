#pragma once
// One share of a list of inputs, for filling the embedding cache from an array job: shard i of n
// takes the i-th of n contiguous blocks of the distinct inputs (in order of first appearance).
//
// Indices are 0-based, "i/n" with 0 <= i < n, so SLURM's variables drop in as they are with
// `#SBATCH --array=0-(n-1)`:  --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
//
// Contiguous blocks rather than digest modulo n: a task hashes and decodes only its own files
// (a digest split would make every task read every image to hash it), block sizes differ by at
// most one, and neighbouring files (one folder, one tar member range) stay in one task. The split
// depends only on the list, so every task of the array must be given the same list.
#include <cstddef>
#include <string>
#include <utility>

namespace hc {

class ConfigSchema;

struct ShardSpec {
  int index = 0;  // 0-based
  int count = 1;

  bool whole() const { return count == 1; }
  std::string str() const;  // "i/n"
};

// "i/n" -> ShardSpec; a usage hc::Error naming the text and the expected form otherwise (a
// 1-based "n/n" gets a hint about SLURM arrays numbered from 1).
ShardSpec parse_shard(const std::string& text);

// The key `shard` (flag --shard I/N) of a tool that can fill the cache in shares; empty = the
// whole run. Checked with parse_shard when the config is validated.
void declare_shard(ConfigSchema& schema, std::string& shard);

// The block [begin, end) of `items` distinct inputs that the shard takes: sizes differ by at
// most one, the blocks of 0..n-1 cover 0..items exactly once.
std::pair<std::size_t, std::size_t> shard_range(std::size_t items, const ShardSpec& shard);

}  // namespace hc
