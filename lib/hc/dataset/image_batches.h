#pragma once
// Batches of a labelled image set for training and evaluation: decoding, resizing, the training
// flips and normalisation run on a thread pool while the model works on the current batch
// (batches k+1 .. k+prefetch are being prepared while batch k is used), and no more than
// prefetch + 1 batches of pixels are held at once, as ImageEmbedder does for inference.
//
// An epoch's order is the set's order, or a seeded permutation per (seed, epoch) when shuffling
// (SplitMix64: the same on every platform); flips come from a FlipPolicy per (epoch, image
// position in the set). So an epoch can be replayed exactly, and a resumed run skips the
// batches it has done (start_epoch(epoch, skip)) and sees the same images as an uninterrupted
// one. Evaluation keeps every image: drop_last is for training only.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "hc/data/labelled_images.h"
#include "hc/vision/preprocess_config.h"
#include "hc/vision/random_flip.h"

namespace hc {

class ThreadPool;

struct ImageBatch {
  at::Tensor pixels;     // [B, 3, H, W] float32 on the CPU (pinned when asked)
  at::Tensor classes;    // [B, L] int64: class index within each level, most general first
  at::Tensor positions;  // [B] int64: positions of the images in the set
};

struct ImageBatchOptions {
  int64_t batch_size = 32;
  int prefetch_batches = 2;  // batches prepared ahead of the one in use
  bool shuffle = false;      // a seeded permutation per epoch (training)
  uint64_t seed = 0;         // of the shuffle
  bool drop_last = false;    // leave out a last partial batch (training only)
  bool pin_memory = false;   // page-locked pixels, for asynchronous copies to a GPU
};

class ImageBatchLoader {
 public:
  // The pool decodes and must outlive the loader. Needs a preprocessing with a fixed output
  // size (a crop or a squash); a batch size below 1 or a negative prefetch is a usage hc::Error.
  ImageBatchLoader(std::shared_ptr<const HierarchicalImageSet> set, PreprocessConfig preprocess,
                   FlipPolicy flips, ImageBatchOptions options, ThreadPool& pool);
  ~ImageBatchLoader();
  ImageBatchLoader(const ImageBatchLoader&) = delete;
  ImageBatchLoader& operator=(const ImageBatchLoader&) = delete;

  // Starts an epoch (its order and flips), skipping its first skip_batches batches (a resumed
  // run). Batches already being prepared for an earlier epoch are abandoned.
  void start_epoch(int64_t epoch, int64_t skip_batches = 0);
  // The next batch of the epoch; false at its end. A decoding error is an hc::Error naming the
  // image. Starts epoch 0 when no epoch was started.
  bool next(ImageBatch& batch);

  int64_t batches_per_epoch() const;
  // The epoch's image positions in batch order.
  const std::vector<std::size_t>& order() const { return order_; }
  const HierarchicalImageSet& set() const { return *set_; }

 private:
  struct Pending;
  void prepare_next();

  std::shared_ptr<const HierarchicalImageSet> set_;
  std::shared_ptr<const PreprocessConfig> preprocess_;
  FlipPolicy flips_;
  ImageBatchOptions options_;
  ThreadPool& pool_;
  int64_t epoch_ = -1;
  std::vector<std::size_t> order_;
  std::size_t next_position_ = 0;  // into order_
  std::size_t end_position_ = 0;   // order_.size(), or less with drop_last
  std::deque<Pending> ahead_;
  std::shared_ptr<std::atomic<bool>> cancelled_;  // set when an epoch's pending work is abandoned
};

}  // namespace hc
