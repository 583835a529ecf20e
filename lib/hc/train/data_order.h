#pragma once
// The order in which a training run visits its examples: one permutation per epoch, drawn from
// (seed, epoch) alone, so a resumed run, another machine or another standard library draws the
// same order (std::shuffle and std::uniform_int_distribution are implementation-defined; this
// uses std::mt19937_64, whose output the standard fixes, with its own unbiased draws).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hc {

// A permutation of 0..count-1 for `epoch` (Fisher-Yates); shuffle = false gives 0..count-1.
std::vector<std::size_t> epoch_order(std::size_t count, uint64_t seed, int64_t epoch,
                                     bool shuffle = true);

// One draw in [0, choices) per example for `epoch` (e.g. which caption of its hierarchy an
// example shows this epoch), from (seed, epoch) alone on a stream no epoch order uses: a resumed
// run, any batch size and any number of data-parallel ranks see the same draws. choices 0 is an
// hc::Error.
std::vector<std::size_t> epoch_choices(std::size_t count, std::size_t choices, uint64_t seed,
                                       int64_t epoch);

// The first `count` entries of a seeded permutation of 0..total-1 (a held-out split), and the
// rest, each in increasing order. count > total is an hc::Error.
struct SeededSplit {
  std::vector<std::size_t> held_out;
  std::vector<std::size_t> rest;
};
SeededSplit seeded_split(std::size_t total, std::size_t count, uint64_t seed);

}  // namespace hc
