// CIFAR binary files: the record layout (label bytes, then the red, green and blue planes),
// the synthetic generator, PNG export, class names files, and truncated or corrupt files as
// errors naming the file and record.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/data/cifar_binary.h"
#include "hc/data/classification_prompts.h"
#include "hc/vision/decode_image.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::TempDir;
using hc::test::write_bytes;

// One record with a pixel pattern that tells the planes apart.
std::string record(std::vector<uint8_t> labels) {
  std::string bytes(labels.begin(), labels.end());
  for (int c = 0; c < 3; ++c) {
    for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<char>((p + 85 * c) % 251));
  }
  return bytes;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const hc::Error& e) {
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("CIFAR: records, labels and the pixel planes", "[data][cifar]") {
  TempDir dir;
  write_bytes(dir / "c10.bin", record({3}) + record({9}));
  const hc::CifarImages c10 = hc::read_cifar_binary(dir / "c10.bin", hc::CifarKind::Cifar10);
  CHECK(c10.size() == 2);
  CHECK(c10.fine == std::vector<int64_t>{3, 9});
  CHECK(c10.coarse.empty());
  // Pixel (row 1, column 2) = plane index 34: R, G, B from the three planes, interleaved.
  const std::size_t at = (1 * 32 + 2) * 3;
  CHECK(c10.pixels[at] == 34);
  CHECK(c10.pixels[at + 1] == (34 + 85) % 251);
  CHECK(c10.pixels[at + 2] == (34 + 170) % 251);

  write_bytes(dir / "c100.bin", record({4, 77}));
  const hc::CifarImages c100 = hc::read_cifar_binary(dir / "c100.bin", hc::CifarKind::Cifar100);
  CHECK(c100.coarse == std::vector<int64_t>{4});
  CHECK(c100.fine == std::vector<int64_t>{77});

  // PNG export keeps the pixels exactly.
  const auto files = hc::write_cifar_pngs(c10, dir / "png");
  REQUIRE(files.size() == 2);
  const hc::RgbImage image = hc::decode_image(files[0]);
  CHECK(image.width == 32);
  CHECK(image.height == 32);
  CHECK(std::vector<uint8_t>(image.pixels.begin(), image.pixels.end()) ==
        std::vector<uint8_t>(c10.pixels.begin(), c10.pixels.begin() + 32 * 32 * 3));
}

TEST_CASE("CIFAR: truncated, corrupt and missing files are errors", "[data][cifar]") {
  TempDir dir;
  write_bytes(dir / "short.bin", record({1}).substr(0, 3000));
  CHECK_THAT(error_of([&] { hc::read_cifar_binary(dir / "short.bin", hc::CifarKind::Cifar10); }),
             Contains("short.bin") && Contains("not a whole number of CIFAR-10 records"));
  write_bytes(dir / "c100.bin", record({1, 2}));
  CHECK_THAT(error_of([&] { hc::read_cifar_binary(dir / "c100.bin", hc::CifarKind::Cifar10); }),
             Contains("it would fit CIFAR-100 records"));
  write_bytes(dir / "bad.bin", record({2}) + record({12}));
  CHECK_THAT(error_of([&] { hc::read_cifar_binary(dir / "bad.bin", hc::CifarKind::Cifar10); }),
             Contains("record 1") && Contains("label 12"));
  write_bytes(dir / "bad100.bin", record({25, 2}));
  CHECK_THAT(error_of([&] { hc::read_cifar_binary(dir / "bad100.bin", hc::CifarKind::Cifar100); }),
             Contains("record 0") && Contains("coarse label 25"));
  write_bytes(dir / "empty.bin", "");
  CHECK_THAT(error_of([&] { hc::read_cifar_binary(dir / "empty.bin", hc::CifarKind::Cifar10); }),
             Contains("empty"));
  CHECK_THAT(error_of([&] { hc::read_cifar_binary(dir / "none.bin", hc::CifarKind::Cifar10); }),
             Contains("none.bin"));
  CHECK_THROWS_AS(hc::parse_cifar_kind("cifar1000"), hc::Error);
}

TEST_CASE("CIFAR: synthetic files and names files", "[data][cifar]") {
  TempDir dir;
  const fs::path file = hc::write_synthetic_cifar(dir / "s.bin", hc::CifarKind::Cifar100, 250);
  const hc::CifarImages images = hc::read_cifar_binary(file, hc::CifarKind::Cifar100);
  CHECK(images.size() == 250);
  CHECK(images.fine[101] == 1);
  CHECK(images.coarse[101] == 1);
  // Classes differ visibly: two classes' first images are not the same picture.
  CHECK(!std::equal(images.pixels.begin(), images.pixels.begin() + 3072, images.pixels.begin() + 3072));
  write_bytes(dir / "names.txt", "aquatic_mammals\n\nfish\n");
  CHECK(hc::read_class_names(dir / "names.txt") == std::vector<std::string>{"aquatic mammals", "fish"});
  write_bytes(dir / "blank.txt", "\n\n");
  CHECK_THROWS_AS(hc::read_class_names(dir / "blank.txt"), hc::Error);
}

TEST_CASE("prompts.md: a dataset's classes and templates", "[data][cifar]") {
  const fs::path file = hc::test::shared_path("data/clip-prompts/prompts.md");
  const hc::ClassificationPrompts c10 = hc::read_classification_prompts(file, "CIFAR10");
  CHECK(c10.classes.size() == 10);  // CIFAR-10's class count
  CHECK(c10.classes.front() == "airplane");
  CHECK(!c10.templates.empty());
  for (const auto& t : c10.templates) CHECK(t.find("{}") != std::string::npos);
  CHECK(hc::read_classification_prompts(file, "CIFAR100").classes.size() == 100);
  const auto countries = hc::read_classification_prompts(file, "Country211").classes;
  CHECK(std::find(countries.begin(), countries.end(), "Cote d'Ivoire") != countries.end());
  try {
    hc::read_classification_prompts(file, "CIFAR1000");
    FAIL("no error");
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    CHECK_THAT(std::string(e.what()), Contains("CIFAR1000") && Contains("CIFAR100"));
  }
  TempDir dir;
  write_bytes(dir / "p.md", "## X\n\n```bash\nclasses = [\n    'a',\n    b,\n]\n```\n");
  CHECK_THAT(error_of([&] { hc::read_classification_prompts(dir / "p.md", "X"); }), Contains("p.md:6"));
  write_bytes(dir / "q.md", "## X\nclasses = [\n    'a',\n");
  CHECK_THAT(error_of([&] { hc::read_classification_prompts(dir / "q.md", "X"); }), Contains("not closed"));
  write_bytes(dir / "r.md", "## X\nclasses = [\n    'a',\n]\n");
  CHECK_THAT(error_of([&] { hc::read_classification_prompts(dir / "r.md", "X"); }), Contains("templates"));
}
