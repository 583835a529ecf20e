// Image embeddings: decoding overlapped with the model gives the fixture's reference outputs,
// in input order; failures name the file or ask for a smaller batch.
#include "embed_test_util.h"

#include "hc/core/error.h"
#include "hc/core/thread_pool.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/image_embedder.h"
#include "hc/embed/out_of_memory.h"

namespace {
using namespace hc::test;
using Catch::Matchers::Contains;
}

TEST_CASE("Image embeddings equal the reference, in input order", "[embed][image]") {
  const auto batch_size = GENERATE(1, 3, 16);
  const auto prefetch = GENERATE(0, 2);
  CAPTURE(batch_size, prefetch);
  hc::ClipBundle bundle = fixture_bundle();
  hc::ThreadPool pool(2);
  hc::EmbedOptions options = test_options(batch_size);
  options.prefetch_batches = prefetch;
  const at::Tensor expected = expected_tensor("image_embeds");

  hc::ImageEmbedder embedder(bundle.model, bundle.preprocess, options, pool);
  const at::Tensor got = embedder.embed(fixture_images());
  CHECK(close(got, unit(expected)));
  CHECK(embedder.forward_calls() == (10 + batch_size - 1) / batch_size);

  options.normalise = false;
  hc::ImageEmbedder raw(bundle.model, bundle.preprocess, options, pool);
  const auto images = fixture_images();
  const std::vector<std::filesystem::path> reversed(images.rbegin(), images.rend());
  CHECK(close(raw.embed(reversed), expected.flip(0)));
}

TEST_CASE("The engine embeds images through the same path", "[embed][image]") {
  hc::ClipBundle bundle = fixture_bundle();
  hc::EmbeddingEngine engine(bundle, test_options(4));
  auto images = fixture_images();
  images.push_back(images[2]);  // a repeat is computed once
  const at::Tensor got = engine.embed_images(images);
  const at::Tensor expected = unit(expected_tensor("image_embeds"));
  CHECK(close(got.slice(0, 0, 10), expected));
  CHECK(close(got[10], expected[2]));
  CHECK(engine.stats().images_computed == 10);
  CHECK(engine.stats().image_forward_calls == 3);
}

TEST_CASE("An undecodable image is an error naming the file", "[embed][image]") {
  hc::ClipBundle bundle = fixture_bundle();
  TempDir dir;
  const auto bad = dir / "broken.jpg";
  write_bytes(bad, "not a JPEG at all");
  auto images = fixture_images();
  images.insert(images.begin() + 5, bad);
  hc::ThreadPool pool(2);
  hc::ImageEmbedder embedder(bundle.model, bundle.preprocess, test_options(2), pool);
  CHECK_THROWS_WITH(embedder.embed(images), Contains("broken.jpg"));
  // The pool is still usable afterwards (no job left writing into freed pixels).
  CHECK(close(embedder.embed({images[0]}), unit(expected_tensor("image_embeds")).slice(0, 0, 1)));
}

TEST_CASE("Preprocessing of another size than the model's is refused up front", "[embed][image]") {
  hc::ClipBundle bundle = fixture_bundle();
  hc::PreprocessConfig other = bundle.preprocess;
  other.crop_height = other.crop_width = 160;
  hc::ThreadPool pool(1);
  CHECK_THROWS_WITH(hc::ImageEmbedder(bundle.model, other, test_options(2), pool),
                    Contains("160x160") && Contains("224x224"));
}

TEST_CASE("Out-of-memory failures become an error asking for a smaller batch", "[embed]") {
  CHECK(hc::is_out_of_memory_message("CUDA out of memory. Tried to allocate 2.00 GiB"));
  CHECK(hc::is_out_of_memory_message("DefaultCPUAllocator: not enough memory: you tried"));
  CHECK_FALSE(hc::is_out_of_memory_message("shape mismatch"));
  auto oom = [] () -> at::Tensor { TORCH_CHECK(false, "CUDA out of memory. Tried to allocate 9 GiB"); };
  CHECK_THROWS_WITH(hc::forward_or_explain_memory(oom, "64 images", "device cuda:0, dtype fp16"),
                    Contains("out of memory embedding batch of 64 images") &&
                        Contains("cuda:0") && Contains("lower --batch-size"));
  auto bad_alloc = []() -> at::Tensor { throw std::bad_alloc(); };
  CHECK_THROWS_AS(hc::forward_or_explain_memory(bad_alloc, "3 texts", ""), hc::Error);
  auto other = []() -> at::Tensor { TORCH_CHECK(false, "shape mismatch"); };
  CHECK_THROWS_AS(hc::forward_or_explain_memory(other, "3 texts", ""), c10::Error);
}
