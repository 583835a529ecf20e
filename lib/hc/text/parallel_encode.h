#pragma once
// Many texts at once: encode_with_specials of each on a thread pool, results in input order.
// The tokenizer's shared word cache makes later texts mostly lookups.
#include <cstdint>
#include <string>
#include <vector>

#include "hc/core/thread_pool.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

std::vector<std::vector<int32_t>> encode_all(const ClipTokenizer& tokenizer,
                                             const std::vector<std::string>& texts,
                                             ThreadPool& pool);

}  // namespace hc
