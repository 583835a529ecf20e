// Embeddings files for the metrics (fixtures/metrics layout): reading, narrowing to the rows a
// set kept, and errors that name the file and what was expected.
#include "catch_torch.h"

#include <filesystem>
#include <string>

#include "hc/core/error.h"
#include "hc/data/hierarcaps.h"
#include "hc/eval/retrieval_embeddings.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

void write_embeddings(const fs::path& path, const torch::Tensor& text, const torch::Tensor& image,
                      const torch::Tensor& root = {}) {
  hc::SafetensorsWriter writer;
  hc::add_tensor(writer, "text", text);
  hc::add_tensor(writer, "image", image);
  if (root.defined()) hc::add_tensor(writer, "root", root);
  writer.write(path);
}

const char* kCsv =
    "id,captions,image_url\n"
    "0,a => b => c => d,http://x/COCO_val2014_000000000139.jpg\n"
    "1,e => f => g => h,http://x/COCO_val2014_000000000001.jpg\n"
    "2,i => j => k => l,http://x/COCO_val2014_000000000776.jpg\n";

}  // namespace

TEST_CASE("retrieval embeddings: the fixture files read as the set expects") {
  hc::HierarCapsOptions options;
  options.csv = hc::test::shared_path("fixtures/metrics/multiref/multiref.csv");
  options.images = hc::test::shared_path("data/hierarcaps/test_imgs");
  const auto set = hc::load_hierarcaps(options);
  const auto file = hc::test::shared_path("fixtures/metrics/multiref/embeddings.safetensors");
  const auto embeddings = hc::read_retrieval_embeddings(file, set);
  CHECK(embeddings.dim == 64);
  CHECK(embeddings.text.sizes() == torch::IntArrayRef({224, 4, 64}));
  CHECK(embeddings.images.sizes() == torch::IntArrayRef({90, 64}));
  REQUIRE(embeddings.root.defined());
  CHECK(embeddings.root.sizes() == torch::IntArrayRef({64}));

  // The other case's file does not fit this CSV.
  CHECK_THROWS_WITH(
      hc::read_retrieval_embeddings(
          hc::test::shared_path("fixtures/metrics/hierarcaps_test/embeddings.safetensors"), set),
      Contains("hierarcaps_test/embeddings.safetensors") && Contains("tensor 'text' is [1000, 4, 64]") &&
          Contains("expected [224, 4, D]"));
}

TEST_CASE("retrieval embeddings: a whole-CSV file narrows to the rows whose images exist") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "set.csv", kCsv);
  fs::create_directories(dir / "images");
  for (const char* name : {"COCO_val2014_000000000139.jpg", "COCO_val2014_000000000776.jpg"}) {
    fs::copy_file(hc::test::shared_path(std::string("data/hierarcaps/test_imgs/") + name),
                  dir / "images" / name);
  }
  hc::HierarCapsOptions options;
  options.csv = dir / "set.csv";
  options.images = dir / "images";
  options.skip_missing_images = true;
  const auto set = hc::load_hierarcaps(options);
  REQUIRE(set.rows.size() == 2);

  const auto text = torch::arange(3 * 4 * 2, torch::kFloat).reshape({3, 4, 2});
  write_embeddings(dir / "all.safetensors", text, torch::ones({2, 2}));
  const auto all = hc::read_retrieval_embeddings(dir / "all.safetensors", set);
  CHECK(torch::equal(all.text, text.index_select(0, torch::tensor({0, 2}))));
  CHECK_FALSE(all.root.defined());

  write_embeddings(dir / "kept.safetensors", text.slice(0, 0, 2), torch::ones({2, 2}),
                   torch::ones({1, 2}));
  const auto kept = hc::read_retrieval_embeddings(dir / "kept.safetensors", set);
  CHECK(torch::equal(kept.text, text.slice(0, 0, 2)));
  CHECK(kept.root.sizes() == torch::IntArrayRef({2}));

  write_embeddings(dir / "images.safetensors", text, torch::ones({3, 2}));
  CHECK_THROWS_WITH(hc::read_retrieval_embeddings(dir / "images.safetensors", set),
                    Contains("tensor 'image' is [3, 2], expected [2, 2]") &&
                        Contains("without those of the skipped rows"));
  write_embeddings(dir / "root.safetensors", text, torch::ones({2, 2}), torch::ones({3}));
  CHECK_THROWS_WITH(hc::read_retrieval_embeddings(dir / "root.safetensors", set),
                    Contains("tensor 'root' is [3], expected [2]"));
  write_embeddings(dir / "ints.safetensors", text.to(torch::kInt), torch::ones({2, 2}));
  CHECK_THROWS_WITH(hc::read_retrieval_embeddings(dir / "ints.safetensors", set),
                    Contains("tensor 'text' has dtype I32"));
  hc::SafetensorsWriter no_text;
  hc::add_tensor(no_text, "image", torch::ones({2, 2}));
  no_text.write(dir / "none.safetensors");
  CHECK_THROWS_WITH(hc::read_retrieval_embeddings(dir / "none.safetensors", set),
                    Contains("none.safetensors") && Contains("text"));
}
