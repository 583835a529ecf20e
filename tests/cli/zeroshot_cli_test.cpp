// hc-eval-zeroshot end to end with the tiny model: CIFAR-100 per level (fine, coarse from the
// fine predictions and from coarse prompts), CIFAR-10, an image folder with a hierarchy file,
// and bad inputs with their exit codes.
#include "catch_torch.h"

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/data/synthetic_breeds.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::quoted;
using hc::test::shared_path;
using hc::test::TempDir;

hc::test::CommandResult zeroshot(const TempDir& dir, const std::string& arguments) {
  return hc::test::run_command("HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
                               hc::test::binary("hc-eval-zeroshot") + " --threads 2 " + arguments);
}

std::string model_and_prompts() {
  return "--model " + quoted(shared_path("fixtures/model/tiny-quickgelu")) + " --prompts " +
         quoted(shared_path("data/clip-prompts/prompts.md"));
}

}  // namespace

TEST_CASE("hc-eval-zeroshot: CIFAR-100 per level and CIFAR-10", "[cli][zeroshot]") {
  TempDir dir;
  const auto written = zeroshot(dir, "--dataset cifar100 --write-synthetic " + quoted(dir / "c100" / "test.bin"));
  INFO(written.err);
  REQUIRE(written.exit_code == 0);
  const auto run = zeroshot(dir, model_and_prompts() + " --dataset cifar100 --cifar " +
                                     quoted(dir / "c100" / "test.bin") + " -o -");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto result = nlohmann::json::parse(run.out);
  const auto& levels = result["metrics"]["levels"];
  CHECK(result["dataset"]["levels"] == nlohmann::json::array({"coarse", "fine"}));
  CHECK(levels["fine"]["classes"] == 100);
  CHECK(levels["fine"]["direct"]["images"] == 400);
  CHECK(levels["coarse"]["classes"] == 20);
  CHECK(levels["coarse"]["from_finest"].contains("top1"));
  CHECK(levels["coarse"]["direct"].contains("top5"));
  CHECK(result["metrics"]["top1"] == levels["fine"]["direct"]["top1"]);
  const double top1 = result["metrics"]["top1"], top5 = result["metrics"]["top5"];
  CHECK(top1 <= top5);
  CHECK(levels["fine"]["direct"]["per_class"].size() == 100);

  const auto c10 = zeroshot(dir, "--dataset cifar10 --write-synthetic " + quoted(dir / "c10" / "test_batch.bin"));
  REQUIRE(c10.exit_code == 0);
  const auto run10 = zeroshot(dir, model_and_prompts() + " --dataset cifar10 --cifar " +
                                       quoted(dir / "c10" / "test_batch.bin") + " -o -");
  INFO(run10.err);
  REQUIRE(run10.exit_code == 0);
  const auto result10 = nlohmann::json::parse(run10.out);
  CHECK(result10["metrics"]["levels"]["fine"]["direct"]["per_class"].contains("airplane"));
  // Records both synthetic files share (the same class and texture) come from the cache.
  CHECK(result10["embedding"]["images_computed"].get<int>() +
            result10["embedding"]["images_from_cache"].get<int>() == 200);
}

TEST_CASE("hc-eval-zeroshot: an image folder with a hierarchy", "[cli][zeroshot]") {
  TempDir dir;
  // Class folders named for the synthetic shapes' subclasses, with a two-level hierarchy.
  const hc::SyntheticBreeds synthetic = hc::write_synthetic_breeds(dir / "breeds", 2);
  fs::create_directories(dir / "folder");
  fs::copy(synthetic.images / "n90001000", dir / "folder" / "red_circle");
  fs::copy(synthetic.images / "n90001002", dir / "folder" / "green_square");
  hc::test::write_bytes(dir / "hierarchy.txt", "red circle, circle\ngreen square, square\n");
  const auto run = zeroshot(dir, model_and_prompts() + " --images " + quoted(dir / "folder") +
                                     " --hierarchy " + quoted(dir / "hierarchy.txt") +
                                     " --set prompts.dataset=CIFAR10 -o -");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto result = nlohmann::json::parse(run.out);
  const auto& levels = result["metrics"]["levels"];
  CHECK(levels["fine"]["classes"] == 2);
  CHECK(levels["fine"]["direct"]["per_class"].contains("red circle"));
  CHECK(levels["coarse"]["from_finest"]["images"] == 4);

  hc::test::write_bytes(dir / "folder" / "red_circle" / "broken.png", "not an image");
  const auto broken = zeroshot(dir, model_and_prompts() + " --images " + quoted(dir / "folder") + " -o -");
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.err, Contains("broken.png"));
}

TEST_CASE("hc-eval-zeroshot: bad inputs", "[cli][zeroshot]") {
  TempDir dir;
  const auto no_file = zeroshot(dir, model_and_prompts() + " --dataset cifar10 -o -");
  CHECK(no_file.exit_code == 2);
  CHECK_THAT(no_file.err, Contains("--cifar"));
  hc::test::write_bytes(dir / "short.bin", std::string(5000, '\1'));
  const auto truncated = zeroshot(dir, model_and_prompts() + " --dataset cifar10 --cifar " +
                                           quoted(dir / "short.bin") + " -o -");
  CHECK(truncated.exit_code == 1);
  CHECK_THAT(truncated.err, Contains("short.bin") && Contains("truncated"));
  const auto bad_kind = zeroshot(dir, model_and_prompts() + " --dataset svhn -o -");
  CHECK(bad_kind.exit_code == 2);
}
