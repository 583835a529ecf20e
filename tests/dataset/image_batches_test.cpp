// The batch loader: every image once per epoch with its classes, seeded shuffles and flips that
// replay exactly (also after skipping batches, as a resumed run does), the last partial batch
// kept unless drop_last, decoding errors naming the image, in-memory images beside files.
#include "catch_torch.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/data/class_hierarchy.h"
#include "hc/data/labelled_images.h"
#include "hc/dataset/image_batches.h"
#include "hc/vision/normalize.h"
#include "hc/vision/preprocess_config.h"
#include "hc/vision/random_flip.h"
#include "test_support.h"

namespace {

using Catch::Matchers::Contains;

// n in-memory 4x2 images; image i has a left/right ramp so flips are visible, label i % 3.
std::shared_ptr<hc::HierarchicalImageSet> ramp_set(int n) {
  const hc::ClassHierarchy h =
      hc::parse_class_hierarchy("a, x\nb, x\nc, y\n", "h.txt");
  hc::LabelledImageSet set;
  set.source = "mem";
  set.label_names = {"a", "b", "c"};
  for (int i = 0; i < n; ++i) {
    hc::RgbImage image(4, 2);
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 4; ++x) {
        uint8_t* p = image.row(y) + 3 * x;
        p[0] = static_cast<uint8_t>(10 * x);
        p[1] = static_cast<uint8_t>(i);
        p[2] = static_cast<uint8_t>(y);
      }
    }
    set.images.push_back(hc::image_in_memory(image, "mem#" + std::to_string(i), i % 3));
  }
  return std::make_shared<hc::HierarchicalImageSet>(hc::bind_to_hierarchy(set, h));
}

hc::PreprocessConfig no_resize() {
  hc::PreprocessConfig config = hc::PreprocessConfig::preset("hgclip_legacy", 4);
  config.resize_height = 2;  // the images' own size: pixels pass through unchanged
  return config;
}

struct Epoch {
  std::vector<int64_t> positions;
  std::vector<bool> flipped;
  std::vector<int64_t> batch_sizes;
};

Epoch run_epoch(hc::ImageBatchLoader& loader, int64_t epoch, int64_t skip = 0) {
  loader.start_epoch(epoch, skip);
  hc::PixelNormalizer normalizer(no_resize());
  Epoch out;
  hc::ImageBatch batch;
  while (loader.next(batch)) {
    out.batch_sizes.push_back(batch.pixels.size(0));
    for (int64_t b = 0; b < batch.pixels.size(0); ++b) {
      const int64_t position = batch.positions[b].item<int64_t>();
      out.positions.push_back(position);
      const auto& chain = loader.set().classes[position];
      CHECK(batch.classes[b][0].item<int64_t>() == chain[0]);
      CHECK(batch.classes[b][1].item<int64_t>() == chain[1]);
      // Red channel, row 0: ramp 0, 10, 20, 30 or mirrored; green is the image number.
      const float left = batch.pixels[b][0][0][0].item<float>();
      CHECK(batch.pixels[b][1][0][0].item<float>() == normalizer.value(1, position));
      const bool flipped = left == normalizer.value(0, 30);
      CHECK((flipped || left == normalizer.value(0, 0)));
      out.flipped.push_back(flipped);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("image batches: in order, every image once, last batch kept", "[dataset]") {
  hc::ThreadPool pool(2);
  auto set = ramp_set(10);
  hc::ImageBatchOptions options;
  options.batch_size = 4;
  hc::ImageBatchLoader loader(set, no_resize(), hc::FlipPolicy::none(), options, pool);
  CHECK(loader.batches_per_epoch() == 3);
  const Epoch epoch = run_epoch(loader, 0);
  CHECK(epoch.batch_sizes == std::vector<int64_t>{4, 4, 2});
  std::vector<int64_t> expected(10);
  for (int i = 0; i < 10; ++i) expected[i] = i;
  CHECK(epoch.positions == expected);
  CHECK(std::none_of(epoch.flipped.begin(), epoch.flipped.end(), [](bool f) { return f; }));

  options.drop_last = true;
  hc::ImageBatchLoader dropping(set, no_resize(), hc::FlipPolicy::none(), options, pool);
  CHECK(run_epoch(dropping, 0).batch_sizes == std::vector<int64_t>{4, 4});
}

TEST_CASE("image batches: seeded shuffle and flips replay, also after skipping", "[dataset]") {
  hc::ThreadPool pool(2);
  auto set = ramp_set(23);
  hc::ImageBatchOptions options;
  options.batch_size = 5;
  options.shuffle = true;
  options.seed = 3;
  options.prefetch_batches = 1;
  hc::ImageBatchLoader loader(set, no_resize(), hc::FlipPolicy::seeded(11), options, pool);
  const Epoch first = run_epoch(loader, 0);
  const Epoch again = run_epoch(loader, 0);
  const Epoch second = run_epoch(loader, 1);
  CHECK(first.positions == again.positions);
  CHECK(first.flipped == again.flipped);
  CHECK(first.positions != second.positions);
  CHECK(std::set<int64_t>(first.positions.begin(), first.positions.end()).size() == 23);
  // Flips depend on (epoch, image), not on the batch order: about half are flipped.
  const auto flips = std::count(first.flipped.begin(), first.flipped.end(), true);
  CHECK(flips > 3);
  CHECK(flips < 20);
  for (std::size_t i = 0; i < first.positions.size(); ++i) {
    CHECK(first.flipped[i] == hc::FlipPolicy::seeded(11).flips(0, first.positions[i]));
  }
  // A resumed epoch (2 batches done) sees exactly the rest.
  const Epoch resumed = run_epoch(loader, 0, 2);
  CHECK(resumed.positions == std::vector<int64_t>(first.positions.begin() + 10,
                                                  first.positions.end()));
  // Starting another epoch in the middle of one abandons the old batches cleanly.
  loader.start_epoch(5);
  hc::ImageBatch batch;
  REQUIRE(loader.next(batch));
  CHECK(run_epoch(loader, 0).positions == first.positions);
}

TEST_CASE("image batches: files decoded on the pool, errors name the image", "[dataset]") {
  hc::test::TempDir dir;
  hc::test::write_ppm(dir / "a" / "0.ppm", 2, 2, std::string(12, '\x10'));
  hc::test::write_ppm(dir / "b" / "0.ppm", 2, 2, std::string(12, '\x20'));
  hc::test::write_bytes(dir / "b" / "1.ppm", "P6\n2 2\n255\nshort");
  const hc::ClassHierarchy h = hc::parse_class_hierarchy("a, top\nb, top\n", "h.txt");
  hc::LabelledImageSet images;
  images.source = dir.path().string();
  images.label_names = {"a", "b"};
  images.images = {hc::image_file(dir / "a" / "0.ppm", 0), hc::image_file(dir / "b" / "0.ppm", 1),
                   hc::image_file(dir / "b" / "1.ppm", 1)};
  auto set = std::make_shared<hc::HierarchicalImageSet>(hc::bind_to_hierarchy(images, h));
  hc::ThreadPool pool(2);
  hc::ImageBatchOptions options;
  options.batch_size = 2;
  hc::ImageBatchLoader loader(set, hc::PreprocessConfig::preset("hgclip_legacy", 3),
                              hc::FlipPolicy::none(), options, pool);
  hc::ImageBatch batch;
  REQUIRE(loader.next(batch));
  CHECK(batch.pixels.sizes() == torch::IntArrayRef({2, 3, 3, 3}));
  const hc::PixelNormalizer normalizer(hc::PreprocessConfig::preset("hgclip_legacy"));
  CHECK(batch.pixels[1][2][2][2].item<float>() == Approx(normalizer.value(2, 0x20)));
  CHECK_THROWS_WITH(loader.next(batch), Contains("1.ppm"));

  options.batch_size = 0;
  CHECK_THROWS_AS(hc::ImageBatchLoader(set, hc::PreprocessConfig::preset("hgclip_legacy"),
                                       hc::FlipPolicy::none(), options, pool),
                  hc::Error);
}

TEST_CASE("flips: mirror images, policies describe themselves", "[dataset]") {
  hc::RgbImage image(3, 1);
  for (int i = 0; i < 9; ++i) image.pixels[i] = static_cast<uint8_t>(i);
  hc::flip_horizontal(image);
  CHECK(image.pixels == std::vector<uint8_t>{6, 7, 8, 3, 4, 5, 0, 1, 2});
  CHECK(hc::FlipPolicy::none().describe() == "none");
  CHECK(hc::FlipPolicy::seeded(4).describe() == "seeded:4");
  const auto fixed = hc::FlipPolicy::fixed({true, false});
  CHECK(fixed.describe() == "fixed:10");
  CHECK(fixed.flips(7, 0));
  CHECK_FALSE(fixed.flips(7, 1));
  CHECK(hc::preset_flips_in_training("hgclip_legacy"));
  CHECK_FALSE(hc::preset_flips_in_training("clip_hf"));
}
