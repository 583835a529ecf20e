#pragma once
// The texts of one RE fine-tuning step in the official order (train.py's flattening of a
// DataLoader batch): for each chain level the loss uses, that level's positive text of every
// item, then the same for the negative chain; text g * items + k is text g of item k, the row
// layout re_loss expects.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hc {

struct HierarCapsTrainRow;
struct ReLossOptions;

struct ReTextBatch {
  int64_t items = 0;
  std::vector<std::string> texts;  // loss.groups() * items
};

// Rows [begin, end) of rows. An empty or out-of-range range is an hc::Error.
ReTextBatch re_text_batch(const std::vector<HierarCapsTrainRow>& rows, std::size_t begin,
                          std::size_t end, const ReLossOptions& loss);
// The rows at `indices`, in that order (a shuffled epoch's batch). An empty list or an index out
// of range is an hc::Error.
ReTextBatch re_text_batch(const std::vector<HierarCapsTrainRow>& rows,
                          const std::vector<std::size_t>& indices, const ReLossOptions& loss);

}  // namespace hc
