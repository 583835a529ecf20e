// The prototypes stage end to end on the fixture's own training images: the batch loader with
// the fixture's flips reproduces its training-transform pixels, the stage reproduces its
// prototypes (plain CLIP features, class means, empty-class rule), and the cache serves a second
// run and only the same key.
#include "catch_torch.h"

#include <filesystem>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/data/labelled_images.h"
#include "hc/dataset/image_batches.h"
#include "hc/hgclip/prototype_stage.h"
#include "hc/model/clip_weights.h"
#include "hgclip_fixture.h"

namespace {

using hc::test::HgclipFixture;

std::filesystem::path fixture_image(const std::string& listed) {
  std::string relative = listed;
  const std::string shared_prefix = "shared/";
  if (relative.rfind(shared_prefix, 0) == 0) relative = relative.substr(shared_prefix.size());
  return hc::test::shared_path(relative);
}

// The fixture's prototype images labelled with their finest class, as a training set.
hc::HierarchicalImageSet fixture_training_set(const HgclipFixture& fixture,
                                              const hc::ClassHierarchy& hierarchy) {
  const auto& inputs = fixture.json.at("inputs");
  hc::LabelledImageSet images;
  images.source = "fixture";
  images.label_names = hierarchy.levels().back().classes;
  const auto paths = inputs.at("proto_images").get<std::vector<std::string>>();
  const auto labels = inputs.at("proto_deepest_class").get<std::vector<std::string>>();
  REQUIRE(paths.size() == labels.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    images.images.push_back(
        hc::image_file(fixture_image(paths[i]), hierarchy.find(hierarchy.num_levels() - 1, labels[i])));
  }
  return hc::bind_to_hierarchy(std::move(images), hierarchy);
}

hc::PrototypeInputs fixture_inputs(const HgclipFixture& fixture, const hc::ClassHierarchy& h,
                                   const hc::HierarchicalImageSet& train) {
  hc::PrototypeInputs inputs;
  inputs.train = &train;
  inputs.hierarchy = &h;
  inputs.preprocess = hc::PreprocessConfig::from_json_file(fixture.model_dir());
  inputs.flips = hc::FlipPolicy::fixed(
      fixture.json.at("inputs").at("proto_flipped").get<std::vector<bool>>());
  inputs.empty_class = fixture.options().empty_class_rule();
  inputs.batch_size = 3;  // several batches, the last one partial
  return inputs;
}

}  // namespace

TEST_CASE("The batch loader gives the fixture's training-transform pixels", "[hgclip][parity]") {
  const HgclipFixture fixture = hc::test::load_hgclip_fixture();
  const hc::ClassHierarchy h = fixture.hierarchy();
  auto train = std::make_shared<hc::HierarchicalImageSet>(fixture_training_set(fixture, h));
  const hc::PrototypeInputs inputs = fixture_inputs(fixture, h, *train);
  hc::ThreadPool pool(2);
  hc::ImageBatchOptions options;
  options.batch_size = 3;
  hc::ImageBatchLoader loader(train, inputs.preprocess, inputs.flips, options, pool);
  std::vector<torch::Tensor> parts;
  std::vector<torch::Tensor> nodes;
  hc::ImageBatch batch;
  while (loader.next(batch)) {
    parts.push_back(batch.pixels);
    nodes.push_back(batch.classes);
  }
  const torch::Tensor got = torch::cat(parts);
  auto c = hc::test::closeness(got, fixture.tensor("proto_pixel_values"), 0.0, 0.0);
  std::printf("hgclip proto_pixel_values max abs diff %.3g\n", c.max_abs_diff);
  CHECK(c.max_abs_diff <= 1e-6);  // 8-bit pixels, one affine map: only float rounding
  // The classes per level match the fixture's prototype nodes less each level's offset.
  const auto want = fixture.json.at("inputs").at("proto_nodes").get<std::vector<std::vector<int64_t>>>();
  const torch::Tensor classes = torch::cat(nodes);
  for (std::size_t i = 0; i < want.size(); ++i) {
    for (int64_t l = 0; l < h.num_levels(); ++l) {
      CHECK(classes[i][l].item<int64_t>() + h.offset(l) == want[i][l]);
    }
  }
}

TEST_CASE("The prototypes stage reproduces the fixture and caches by key", "[hgclip][parity]") {
  const HgclipFixture fixture = hc::test::load_hgclip_fixture();
  const hc::ClassHierarchy h = fixture.hierarchy();
  const hc::HierarchicalImageSet train = fixture_training_set(fixture, h);
  hc::PrototypeInputs inputs = fixture_inputs(fixture, h, train);
  const auto& tol = fixture.json.at("tolerances").at("prototypes");
  hc::ClipModel clip = hc::load_clip(fixture.model_dir(), torch::kCPU, torch::kFloat);
  hc::ThreadPool pool(2);
  hc::test::TempDir cache;

  const hc::PrototypeStageResult first = hc::run_prototype_stage(clip, "model-a", inputs,
                                                                 cache.path(), pool);
  CHECK_FALSE(first.from_cache);
  CHECK(std::filesystem::exists(first.file));
  auto c = hc::test::closeness(first.prototypes, fixture.tensor("prototypes"),
                               tol.at("atol").get<double>(), tol.at("rtol").get<double>());
  std::printf("hgclip prototypes stage max abs diff %.3g\n", c.max_abs_diff);
  CHECK(c.all_within);

  const hc::PrototypeStageResult second = hc::run_prototype_stage(clip, "model-a", inputs,
                                                                  cache.path(), pool);
  CHECK(second.from_cache);
  CHECK(second.file == first.file);
  CHECK(torch::equal(second.prototypes, first.prototypes));

  // Another model, other flips or another rule: other keys, other files.
  const auto other_model = hc::run_prototype_stage(clip, "model-b", inputs, cache.path(), pool);
  CHECK_FALSE(other_model.from_cache);
  CHECK(other_model.key != first.key);
  hc::PrototypeInputs unflipped = inputs;
  unflipped.flips = hc::FlipPolicy::none();
  const auto plain = hc::run_prototype_stage(clip, "model-a", unflipped, cache.path(), pool);
  CHECK_FALSE(plain.from_cache);
  CHECK_FALSE(torch::allclose(plain.prototypes, first.prototypes));
  CHECK(hc::PrototypeKey::of("m", inputs, torch::kFloat).digest() !=
        hc::PrototypeKey::of("m", inputs, torch::kBFloat16).digest());

  // The fixture has a class without images: the strict rule refuses it.
  if (!fixture.json.at("inputs").at("prototype_fallback_nodes").empty()) {
    hc::PrototypeInputs strict = inputs;
    strict.empty_class = hc::EmptyClassRule::Error;
    CHECK_THROWS_AS(hc::run_prototype_stage(clip, "model-a", strict, {}, pool), hc::Error);
  }

  // A file whose metadata does not carry its key is refused, not served.
  std::filesystem::copy_file(other_model.file, first.file,
                             std::filesystem::copy_options::overwrite_existing);
  CHECK_THROWS_WITH(hc::run_prototype_stage(clip, "model-a", inputs, cache.path(), pool),
                    Catch::Matchers::Contains("made for other inputs"));
}
