#include "hc/embed/image_embedder.h"

#include <atomic>
#include <deque>
#include <future>

#include <fmt/format.h>
#include <torch/torch.h>

#include "hc/core/error.h"
#include "hc/core/progress.h"
#include "hc/core/thread_pool.h"
#include "hc/embed/out_of_memory.h"
#include "hc/embed/unit_rows.h"
#include "hc/tensor/device.h"
#include "hc/vision/decode_image.h"
#include "hc/vision/preprocess.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

// One batch of pixels being prepared on the pool. Every job holds the pixel tensor (and its
// own copy of the path), so an early return, e.g. on a decoding error, never leaves a job
// writing into freed memory; the cancel flag makes the leftover jobs return at once.
struct PendingBatch {
  int64_t begin = 0;
  int64_t count = 0;
  at::Tensor pixels;
  std::vector<std::future<void>> jobs;
};

struct CancelOnExit {
  std::shared_ptr<std::atomic<bool>> cancelled;
  ~CancelOnExit() { cancelled->store(true); }
};

void decode_and_preprocess(const fs::path& path, const PreprocessConfig& config, float* out) {
  const RgbImage image = decode_image(path);  // its errors name the file
  try {
    preprocess_into(image, config, out);
  } catch (const Error& e) {
    throw runtime_error("image {}: {}", path.string(), e.what());
  }
}

}  // namespace

ImageEmbedder::ImageEmbedder(ClipModel model, PreprocessConfig preprocess, EmbedOptions options,
                             ThreadPool& pool)
    : model_(std::move(model)),
      preprocess_(std::make_shared<const PreprocessConfig>(std::move(preprocess))),
      options_(std::move(options)),
      pool_(pool) {
  options_.validate();
  const int64_t size = model_->config().vision.image_size;
  if (!preprocess_->has_fixed_output_size() || preprocess_->output_height() != size ||
      preprocess_->output_width() != size) {
    throw usage_error(
        "preprocessing {} gives {}x{} images but the model takes {}x{}: use the checkpoint's "
        "preprocessor_config.json or a matching preset",
        preprocess_->name, preprocess_->output_height(), preprocess_->output_width(), size, size);
  }
}

at::Tensor ImageEmbedder::pixels_of(const fs::path& path) const {
  at::Tensor pixels =
      at::empty({1, 3, preprocess_->output_height(), preprocess_->output_width()}, at::kFloat);
  decode_and_preprocess(path, *preprocess_, pixels.data_ptr<float>());
  return pixels;
}

at::Tensor ImageEmbedder::embed_pixels(const at::Tensor& pixels) {
  torch::NoGradGuard no_grad;
  const std::string details =
      fmt::format("device {}, dtype {}", model_->device().str(), scalar_type_label(model_->dtype()));
  at::Tensor embeds = forward_or_explain_memory(
      [&] {
        return model_
            ->encode_image(pixels.to(model_->device(), model_->dtype(), /*non_blocking=*/true))
            .image_embeds;
      },
      fmt::format("{} images", pixels.size(0)), details);
  ++forward_calls_;
  return embeds.to(at::kCPU, at::kFloat);
}

at::Tensor ImageEmbedder::embed(const std::vector<fs::path>& paths,
                                const EmbedBatchSink& on_batch) {
  const int64_t total = static_cast<int64_t>(paths.size());
  at::Tensor out = at::empty({total, model_->config().projection_dim}, at::kFloat);
  if (total == 0) return out;

  const int64_t height = preprocess_->output_height();
  const int64_t width = preprocess_->output_width();
  const int64_t image_floats = 3 * height * width;
  // Pinned host memory lets the copy to a GPU overlap; plain memory on the CPU.
  const auto pixel_options =
      at::TensorOptions().dtype(at::kFloat).pinned_memory(model_->device().is_cuda());
  CancelOnExit cancel{std::make_shared<std::atomic<bool>>(false)};

  std::deque<PendingBatch> ahead;
  int64_t next_begin = 0;
  auto prepare_next = [&] {
    PendingBatch batch;
    batch.begin = next_begin;
    batch.count = std::min<int64_t>(options_.batch_size, total - next_begin);
    batch.pixels = at::empty({batch.count, 3, height, width}, pixel_options);
    for (int64_t i = 0; i < batch.count; ++i) {
      float* destination = batch.pixels.data_ptr<float>() + i * image_floats;
      batch.jobs.push_back(pool_.submit(
          [pixels = batch.pixels, path = paths[batch.begin + i], destination,
           config = preprocess_, cancelled = cancel.cancelled] {
            if (cancelled->load()) return;
            decode_and_preprocess(path, *config, destination);
          }));
    }
    next_begin += batch.count;
    ahead.push_back(std::move(batch));
  };
  while (next_begin < total && static_cast<int>(ahead.size()) <= options_.prefetch_batches) {
    prepare_next();
  }

  Progress::Settings settings;
  settings.mode = options_.show_progress ? Progress::Mode::Auto : Progress::Mode::Quiet;
  Progress progress("embedding images", paths.size(), settings);
  while (!ahead.empty()) {
    PendingBatch batch = std::move(ahead.front());
    ahead.pop_front();
    for (auto& job : batch.jobs) job.get();  // rethrows the decoding error naming the file
    if (next_begin < total) prepare_next();  // keep the pool busy while the model runs
    const at::Tensor rows = embed_pixels(batch.pixels);
    out.slice(0, batch.begin, batch.begin + batch.count).copy_(rows);
    if (on_batch) {
      std::vector<int64_t> positions(static_cast<std::size_t>(batch.count));
      for (int64_t i = 0; i < batch.count; ++i) positions[i] = batch.begin + i;
      on_batch(positions, rows);
    }
    progress.advance(static_cast<std::size_t>(batch.count));
  }
  progress.finish();
  return options_.normalise ? unit_rows(out) : out;
}

}  // namespace hc
