#include "hc/text/parallel_encode.h"

#include <algorithm>

namespace hc {
namespace {

// Texts are handed out in runs rather than one by one: a text takes about a microsecond, so
// claiming each from the pool's shared counter, and writing neighbouring results from
// different threads (one cache line holds several), would cost about as much as the work.
constexpr std::size_t kTextsPerTask = 256;

}  // namespace

std::vector<std::vector<int32_t>> encode_all(const ClipTokenizer& tokenizer,
                                             const std::vector<std::string>& texts,
                                             ThreadPool& pool) {
  std::vector<std::vector<int32_t>> ids(texts.size());
  const std::size_t tasks = (texts.size() + kTextsPerTask - 1) / kTextsPerTask;
  pool.parallel_for(tasks, [&](std::size_t task) {
    const std::size_t end = std::min(texts.size(), (task + 1) * kTextsPerTask);
    for (std::size_t i = task * kTextsPerTask; i < end; ++i) {
      ids[i] = tokenizer.encode_with_specials(texts[i]);
    }
  });
  return ids;
}

}  // namespace hc
