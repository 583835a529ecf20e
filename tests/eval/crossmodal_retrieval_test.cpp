// Cross-modal Recall@K: ranks by hand on tiny embeddings, ties, errors, and the two ways of
// naming captions and images (a HierarCaps set, any image-caption CSV).
#include "catch_torch.h"

#include <filesystem>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/data/hierarcaps.h"
#include "hc/eval/crossmodal_retrieval.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

// Images: the three axes. Captions (owner): e1 (0), (0.6, 0.8, 0) (0), e3 (1), e3 (2).
// Caption -> image ranks: 0, 1 (image 1 scores 0.8 > 0.6), 1 (image 2 scores 1 > 0), 0.
// Image -> caption ranks of each image's best own caption: 0, 1 (caption 1 scores 0.8 > 0), 0
// (caption 2 ties caption 3: a tie goes to the correct one).
struct Toy {
  torch::Tensor images = torch::eye(3);
  torch::Tensor captions = torch::tensor({{1.0f, 0.0f, 0.0f},
                                          {0.6f, 0.8f, 0.0f},
                                          {0.0f, 0.0f, 1.0f},
                                          {0.0f, 0.0f, 1.0f}});
  std::vector<int64_t> owners{0, 0, 1, 2};
};

}  // namespace

TEST_CASE("cross-modal recall: ranks count strictly better items, both directions") {
  Toy toy;
  auto recall = hc::crossmodal_recall(toy.captions, toy.images, toy.owners, {1, 2, 5});
  CHECK(recall.captions == 4);
  CHECK(recall.images == 3);
  CHECK(recall.text_to_image == std::vector<double>{0.5, 1.0, 1.0});
  CHECK(recall.image_to_text[0] == Approx(2.0 / 3.0));
  CHECK(recall.image_to_text[1] == 1.0);

  // Scale does not matter (rows are normalised), nor does the dtype.
  auto scaled = hc::crossmodal_recall(toy.captions.to(torch::kDouble) * 7, toy.images * 0.1,
                                      toy.owners, {1, 2, 5});
  CHECK(scaled.text_to_image == recall.text_to_image);
  CHECK(scaled.image_to_text == recall.image_to_text);

  const auto json = hc::crossmodal_json(recall);
  CHECK(json["text_to_image"]["R@1"] == 0.5);
  CHECK(json["image_to_text"]["R@2"] == 1.0);
}

TEST_CASE("cross-modal recall: inputs that cannot be scored are errors") {
  Toy toy;
  CHECK_THROWS_WITH(hc::crossmodal_recall(toy.captions, toy.images, {0, 0, 1, 1}),
                    Contains("image 2 has no caption"));
  CHECK_THROWS_WITH(hc::crossmodal_recall(toy.captions, toy.images, toy.owners, {0}),
                    Contains("positive"));
  CHECK_THROWS_WITH(hc::crossmodal_recall(toy.captions, toy.images, {0, 1}),
                    Contains("expected captions [N, D]"));
  CHECK_THROWS_WITH(hc::crossmodal_recall(toy.captions, toy.images, {0, 1, 2, 3}),
                    Contains("out of range"));
}

TEST_CASE("cross-modal captions of a HierarCaps set: one tier of each row with its image") {
  hc::HierarCapsOptions options;
  options.csv = hc::test::shared_path("fixtures/metrics/multiref/multiref.csv");
  options.images = hc::test::shared_path("data/hierarcaps/test_imgs");
  const hc::HierarCapsSet set = hc::load_hierarcaps(options);
  const auto captions = hc::hierarcaps_image_captions(set, 4);
  REQUIRE(captions.captions.size() == set.rows.size());
  REQUIRE(captions.images.size() == set.images.size());
  CHECK(captions.captions[3] == set.rows[3].captions[3]);
  CHECK(captions.image_of_caption[3] == static_cast<int64_t>(set.rows[3].image));
  CHECK(hc::hierarcaps_image_captions(set, 1).captions[0] == set.rows[0].captions[0]);
  CHECK_THROWS_WITH(hc::hierarcaps_image_captions(set, 5), Contains("between 1 and 4"));
}

TEST_CASE("cross-modal captions from any CSV: relative paths, repeated images, missing files") {
  hc::test::TempDir dir;
  const fs::path image = hc::test::shared_path("data/hierarcaps/test_imgs/COCO_val2014_000000000139.jpg");
  fs::create_directories(dir / "pics");
  fs::copy_file(image, dir / "pics" / "a.jpg");
  fs::copy_file(image, dir / "pics" / "b.jpg");
  hc::test::write_bytes(dir / "captions.csv",
                        "file,text\npics/a.jpg,a living room\npics/b.jpg,\"a room, with a tv\"\n"
                        "pics/a.jpg,a room\n");
  const auto captions = hc::load_image_captions(dir / "captions.csv", "file", "text");
  CHECK(captions.captions == std::vector<std::string>{"a living room", "a room, with a tv", "a room"});
  CHECK(captions.image_of_caption == std::vector<int64_t>{0, 1, 0});
  REQUIRE(captions.images.size() == 2);
  CHECK(fs::equivalent(captions.images[1], dir / "pics" / "b.jpg"));

  // An image root other than the CSV's folder.
  hc::test::write_bytes(dir / "lists" / "c.csv", "file,text\na.jpg,a room\n");
  CHECK(hc::load_image_captions(dir / "lists" / "c.csv", "file", "text", dir / "pics").images.size() == 1);

  hc::test::write_bytes(dir / "missing.csv", "file,text\npics/a.jpg,x\npics/nope.jpg,y\n");
  CHECK_THROWS_WITH(hc::load_image_captions(dir / "missing.csv", "file", "text"),
                    Contains("1 of its 2 images are missing") && Contains("nope.jpg"));
  CHECK_THROWS_WITH(hc::load_image_captions(dir / "captions.csv", "image", "text"),
                    Contains("image"));
  hc::test::write_bytes(dir / "empty.csv", "file,text\npics/a.jpg,\n");
  CHECK_THROWS_WITH(hc::load_image_captions(dir / "empty.csv", "file", "text"),
                    Contains("empty.csv:2") && Contains("empty text column"));
}
