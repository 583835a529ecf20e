#include "hc/train/data_order.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "hc/core/error.h"

namespace hc {
namespace {

// A uniform draw in [0, bound) without modulo bias (rejection of the top partial range).
uint64_t draw_below(std::mt19937_64& engine, uint64_t bound) {
  const uint64_t limit = std::mt19937_64::max() - (std::mt19937_64::max() % bound + 1) % bound;
  uint64_t value = engine();
  while (value > limit) value = engine();
  return value % bound;
}

std::mt19937_64 engine_for(uint64_t seed, uint64_t stream) {
  // std::seed_seq's mixing is fixed by the standard, so the engine's state is portable.
  std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                         static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
  return std::mt19937_64(sequence);
}

void shuffle_in_place(std::vector<std::size_t>& values, std::mt19937_64& engine) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(draw_below(engine, i));
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace

std::vector<std::size_t> epoch_order(std::size_t count, uint64_t seed, int64_t epoch,
                                     bool shuffle) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (!shuffle) return order;
  std::mt19937_64 engine = engine_for(seed, static_cast<uint64_t>(epoch));
  shuffle_in_place(order, engine);
  return order;
}

std::vector<std::size_t> epoch_choices(std::size_t count, std::size_t choices, uint64_t seed,
                                       int64_t epoch) {
  if (choices == 0) throw runtime_error("epoch_choices: no choices to draw from");
  // Streams with the top bit set: epoch orders use the epoch itself, the split ~0.
  constexpr uint64_t kChoiceStreams = uint64_t{1} << 63;
  std::mt19937_64 engine = engine_for(seed, kChoiceStreams | static_cast<uint64_t>(epoch));
  std::vector<std::size_t> drawn(count);
  for (std::size_t& value : drawn) value = static_cast<std::size_t>(draw_below(engine, choices));
  return drawn;
}

SeededSplit seeded_split(std::size_t total, std::size_t count, uint64_t seed) {
  if (count > total) {
    throw usage_error("a held-out split of {} examples out of {}: expected at most {}", count,
                      total, total);
  }
  std::vector<std::size_t> order(total);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 engine = engine_for(seed, ~uint64_t{0});  // a stream no epoch uses
  shuffle_in_place(order, engine);
  SeededSplit split;
  split.held_out.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
  split.rest.assign(order.begin() + static_cast<std::ptrdiff_t>(count), order.end());
  std::sort(split.held_out.begin(), split.held_out.end());
  std::sort(split.rest.begin(), split.rest.end());
  return split;
}

}  // namespace hc
