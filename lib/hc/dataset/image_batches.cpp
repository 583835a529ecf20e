#include "hc/dataset/image_batches.h"

#include <torch/torch.h>

#include "hc/core/error.h"
#include "hc/core/split_mix.h"
#include "hc/core/thread_pool.h"
#include "hc/vision/normalize.h"
#include "hc/vision/preprocess.h"

namespace hc {

// One batch being prepared on the pool. Every job holds the pixel tensor, the set and the
// config, so an abandoned batch never leaves a job writing into freed memory; the cancel flag
// makes the leftover jobs return at once.
struct ImageBatchLoader::Pending {
  ImageBatch batch;
  std::vector<std::future<void>> jobs;
};

namespace {

std::vector<std::size_t> epoch_order(std::size_t size, bool shuffle, uint64_t seed,
                                     int64_t epoch) {
  std::vector<std::size_t> order(size);
  for (std::size_t i = 0; i < size; ++i) order[i] = i;
  if (!shuffle) return order;
  SplitMix64 random(mix_seed(seed, static_cast<uint64_t>(epoch), 0x5eed));
  for (std::size_t i = size; i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
  return order;
}

}  // namespace

ImageBatchLoader::ImageBatchLoader(std::shared_ptr<const HierarchicalImageSet> set,
                                   PreprocessConfig preprocess, FlipPolicy flips,
                                   ImageBatchOptions options, ThreadPool& pool)
    : set_(std::move(set)),
      preprocess_(std::make_shared<const PreprocessConfig>(std::move(preprocess))),
      flips_(std::move(flips)),
      options_(options),
      pool_(pool) {
  if (options_.batch_size < 1) {
    throw usage_error("batch size {}: expected at least 1", options_.batch_size);
  }
  if (options_.prefetch_batches < 0) {
    throw usage_error("prefetch {}: expected 0 or more batches", options_.prefetch_batches);
  }
  if (!preprocess_->has_fixed_output_size()) {
    throw usage_error("preprocessing {}: batches need one image size (a centre crop or an exact "
                      "resize)",
                      preprocess_->name);
  }
}

ImageBatchLoader::~ImageBatchLoader() {
  if (cancelled_) cancelled_->store(true);
}

int64_t ImageBatchLoader::batches_per_epoch() const {
  const int64_t n = static_cast<int64_t>(set_->images.size());
  return options_.drop_last ? n / options_.batch_size
                            : (n + options_.batch_size - 1) / options_.batch_size;
}

void ImageBatchLoader::start_epoch(int64_t epoch, int64_t skip_batches) {
  if (cancelled_) cancelled_->store(true);  // abandon the previous epoch's pending jobs
  ahead_.clear();
  cancelled_ = std::make_shared<std::atomic<bool>>(false);
  epoch_ = epoch;
  order_ = epoch_order(set_->images.size(), options_.shuffle, options_.seed, epoch);
  end_position_ = static_cast<std::size_t>(batches_per_epoch() * options_.batch_size);
  end_position_ = std::min(end_position_, order_.size());
  next_position_ = std::min(end_position_,
                            static_cast<std::size_t>(std::max<int64_t>(skip_batches, 0)) *
                                static_cast<std::size_t>(options_.batch_size));
  while (next_position_ < end_position_ &&
         static_cast<int>(ahead_.size()) <= options_.prefetch_batches) {
    prepare_next();
  }
}

void ImageBatchLoader::prepare_next() {
  const std::size_t count =
      std::min<std::size_t>(static_cast<std::size_t>(options_.batch_size),
                            end_position_ - next_position_);
  const int64_t height = preprocess_->output_height();
  const int64_t width = preprocess_->output_width();
  const int64_t levels = set_->num_levels;
  Pending pending;
  auto float_options = at::TensorOptions().dtype(at::kFloat).pinned_memory(options_.pin_memory);
  pending.batch.pixels = at::empty({static_cast<int64_t>(count), 3, height, width}, float_options);
  pending.batch.classes = at::empty({static_cast<int64_t>(count), levels}, at::kLong);
  pending.batch.positions = at::empty({static_cast<int64_t>(count)}, at::kLong);
  auto* classes = pending.batch.classes.data_ptr<int64_t>();
  auto* positions = pending.batch.positions.data_ptr<int64_t>();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t position = order_[next_position_ + i];
    positions[i] = static_cast<int64_t>(position);
    for (int64_t l = 0; l < levels; ++l) classes[i * levels + l] = set_->classes[position][l];
    float* destination = pending.batch.pixels.data_ptr<float>() + i * 3 * height * width;
    const bool flip = flips_.flips(epoch_, position);
    pending.jobs.push_back(pool_.submit([pixels = pending.batch.pixels, set = set_, position,
                                         destination, flip, config = preprocess_,
                                         cancelled = cancelled_] {
      if (cancelled->load()) return;
      const LabelledImage& image = set->images.images[position];
      try {
        RgbImage resized = resize_and_crop(load_pixels(image), *config);
        if (flip) flip_horizontal(resized);
        PixelNormalizer(*config).to_chw(resized, destination);
      } catch (const Error& e) {
        const std::string what = e.what();
        if (what.find(image.id) != std::string::npos) throw;
        throw runtime_error("image {}: {}", image.id, what);
      }
    }));
  }
  next_position_ += count;
  ahead_.push_back(std::move(pending));
}

bool ImageBatchLoader::next(ImageBatch& batch) {
  if (epoch_ < 0) start_epoch(0);
  if (ahead_.empty()) return false;
  Pending pending = std::move(ahead_.front());
  ahead_.pop_front();
  for (auto& job : pending.jobs) job.get();  // rethrows the error naming the image
  if (next_position_ < end_position_) prepare_next();  // keep the pool busy meanwhile
  batch = std::move(pending.batch);
  return true;
}

}  // namespace hc
