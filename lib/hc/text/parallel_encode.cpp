#include "hc/text/parallel_encode.h"

namespace hc {

std::vector<std::vector<int32_t>> encode_all(const ClipTokenizer& tokenizer,
                                             const std::vector<std::string>& texts,
                                             ThreadPool& pool) {
  std::vector<std::vector<int32_t>> ids(texts.size());
  pool.parallel_for(texts.size(),
                    [&](std::size_t i) { ids[i] = tokenizer.encode_with_specials(texts[i]); });
  return ids;
}

}  // namespace hc
