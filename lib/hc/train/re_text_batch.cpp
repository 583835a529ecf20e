#include "hc/train/re_text_batch.h"

#include "hc/core/error.h"
#include "hc/data/hierarcaps_train.h"
#include "hc/train/re_loss.h"

namespace hc {

ReTextBatch re_text_batch(const std::vector<HierarCapsTrainRow>& rows, std::size_t begin,
                          std::size_t end, const ReLossOptions& loss) {
  if (begin >= end || end > rows.size()) {
    throw runtime_error("re_text_batch: rows [{}, {}) of {}: expected a non-empty range", begin,
                        end, rows.size());
  }
  std::vector<std::size_t> indices;
  for (std::size_t row = begin; row < end; ++row) indices.push_back(row);
  return re_text_batch(rows, indices, loss);
}

ReTextBatch re_text_batch(const std::vector<HierarCapsTrainRow>& rows,
                          const std::vector<std::size_t>& indices, const ReLossOptions& loss) {
  if (indices.empty()) throw runtime_error("re_text_batch: no rows");
  for (std::size_t row : indices) {
    if (row >= rows.size()) {
      throw runtime_error("re_text_batch: row {} of {}: out of range", row, rows.size());
    }
  }
  loss.validate();
  ReTextBatch batch;
  batch.items = static_cast<int64_t>(indices.size());
  batch.texts.reserve(static_cast<std::size_t>(loss.groups() * batch.items));
  auto add_chain = [&](HierarCapsChain HierarCapsTrainRow::*chain) {
    for (int level : loss.levels) {
      for (std::size_t row : indices) {
        batch.texts.push_back((rows[row].*chain)[static_cast<std::size_t>(level - 1)]);
      }
    }
  };
  add_chain(&HierarCapsTrainRow::positive);
  if (loss.negatives) add_chain(&HierarCapsTrainRow::negative);
  return batch;
}

}  // namespace hc
