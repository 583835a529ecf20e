// hc-eval-breeds end to end on the synthetic 4-superclass stand-in and the tiny model: the
// result's counts, cross-validation and baselines, a re-run served by the embedding cache, the
// single-prompt baseline, and bad inputs with their exit codes and messages.
#include "catch_torch.h"

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::quoted;
using hc::test::shared_path;
using hc::test::TempDir;

hc::test::CommandResult breeds(const TempDir& dir, const std::string& arguments) {
  return hc::test::run_command("HC_CACHE_DIR=" + quoted(dir / "cache") + " " +
                               hc::test::binary("hc-eval-breeds") + " --threads 2 " + arguments);
}

// The synthetic stand-in, written by the binary itself; returns its subsets file.
fs::path write_synthetic(const TempDir& dir) {
  const auto written = breeds(dir, "--write-synthetic " + quoted(dir / "data"));
  INFO(written.err);
  REQUIRE(written.exit_code == 0);
  return dir / "data" / "subsets.json";
}

std::string model_and_prompts() {
  return "--model " + quoted(shared_path("fixtures/model/tiny-quickgelu")) +
         " --set prompt.templates_file=" +
         quoted(shared_path("data/clip-prompts/imagenet_templates.txt"));
}

}  // namespace

TEST_CASE("hc-eval-breeds: a synthetic subset end to end", "[cli][breeds]") {
  TempDir dir;
  const fs::path subsets = write_synthetic(dir);
  const std::string common = model_and_prompts() + " --subsets " + quoted(subsets) +
                             " --subset synthetic4 --imagenet " + quoted(dir / "data" / "val");
  const auto run = breeds(dir, common + " --set output.per_image_jsonl=true -o " + quoted(dir / "r.json"));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto result = nlohmann::json::parse(hc::test::read_bytes(dir / "r.json"));
  const auto& metrics = result["metrics"];
  CHECK(result["tool"] == "hc-eval-breeds");
  CHECK(metrics["counts"]["superclasses"] == 4);
  CHECK(metrics["counts"]["subclasses"] == 8);
  CHECK(metrics["counts"]["labels"] == 12);
  CHECK(metrics["counts"]["images"] == 48);  // 6 images a class by default
  const int64_t pairs = metrics["counts"]["admissible_pairs"];
  CHECK(pairs > 0);
  CHECK(pairs <= 12 * 11 / 2);
  for (const char* k : {"R@1", "R@5"}) {
    CAPTURE(k);
    const double r = metrics[k];
    CHECK(r >= 0.0);
    CHECK(r <= 1.0);
    const auto& cv = metrics["cross_validation"][k];
    CHECK(cv["folds"].size() == 2);
    CHECK(cv["score"] == r);
    CHECK(metrics["per_lambda"][k].size() == 20);
    CHECK(metrics["baselines"]["no_angle"][k] == metrics["per_lambda"][k][0]);
  }
  CHECK(metrics["baselines"]["chance"]["R@5"].get<double>() == Approx(5.0 / pairs));
  CHECK(metrics["cross_validation"]["lambdas"].size() == 20);
  CHECK(metrics["cross_validation"]["fold_sizes"] == nlohmann::json::array({24, 24}));
  CHECK(result["dataset"]["labels"][0] == "circle");
  CHECK(result["embedding"]["images_computed"] == 48);
  CHECK(fs::exists(dir / "per_image.jsonl"));

  // A re-run with other lambdas reads every embedding from the cache.
  const auto again = breeds(dir, common + " --set lambda.max=1.5 -o " + quoted(dir / "again.json"));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  const auto rerun = nlohmann::json::parse(hc::test::read_bytes(dir / "again.json"));
  CHECK(rerun["embedding"]["images_computed"] == 0);
  CHECK(rerun["embedding"]["texts_computed"] == 0);
  CHECK(rerun["metrics"]["cross_validation"]["lambdas"][19] == 1.5);

  // The same images through a list file, the split's target half, the single-prompt baseline.
  const auto listed = breeds(dir, model_and_prompts() + " --subsets " + quoted(subsets) +
                                      " --subset synthetic4 --split target --list " +
                                      quoted(dir / "data" / "val.txt") +
                                      " --set 'single_prompt.templates=[\"a {0} of type {1}\"]' -o -");
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  const auto split = nlohmann::json::parse(listed.out);
  CHECK(split["metrics"]["counts"]["subclasses"] == 4);
  CHECK(split["metrics"]["counts"]["images"] == 24);
  const auto& single = split["metrics"]["baselines"]["single_prompt"]["a {0} of type {1}"];
  CHECK(single["prompts"] == 8 * 7);
  CHECK(single["R@1"].get<double>() >= 0.0);
}

TEST_CASE("hc-eval-breeds: missing or broken data gives clean errors", "[cli][breeds]") {
  TempDir dir;
  const fs::path subsets = write_synthetic(dir);
  const std::string base = model_and_prompts() + " --subsets " + quoted(subsets) + " -o - ";
  const std::string val = " --subset synthetic4 --imagenet " + quoted(dir / "data" / "val");

  const auto no_images = breeds(dir, base + "--subset synthetic4");
  CHECK(no_images.exit_code == 2);
  CHECK_THAT(no_images.err, Contains("no ImageNet images") && Contains("--imagenet"));

  const auto unknown = breeds(dir, base + "--subset living17 --imagenet " + quoted(dir / "data" / "val"));
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Contains("no subset 'living17'") && Contains("synthetic4"));

  // The real subsets file against a folder without ImageNet: names what is missing.
  const auto imagenet = breeds(dir, model_and_prompts() + " --subsets " +
                                        quoted(shared_path("data/breeds/subsets.json")) +
                                        " --subset living17 -o - --imagenet " + quoted(dir / "data" / "val"));
  CHECK(imagenet.exit_code == 1);
  CHECK_THAT(imagenet.err, Contains("no folder for 68 of the 68 classes") && Contains("n01631663 'eft'"));

  fs::remove_all(dir / "data" / "val" / "n90001003");
  const auto missing = breeds(dir, base + val);
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("n90001003 'yellow square'"));

  fs::create_directories(dir / "data" / "val" / "n90001003");
  const auto empty = breeds(dir, base + val);
  CHECK(empty.exit_code == 1);
  CHECK_THAT(empty.err, Contains("no images") && Contains("n90001003"));

  hc::test::write_bytes(dir / "data" / "val" / "n90001003" / "broken.png", "not a png at all");
  const auto broken = breeds(dir, base + val);
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.err, Contains("broken.png"));

  hc::test::write_bytes(dir / "list.txt", "data/val/n90001000/n90001000_1.png n99999999\n");
  const auto bad_wnid = breeds(dir, base + "--subset synthetic4 --list " + quoted(dir / "list.txt"));
  CHECK(bad_wnid.exit_code == 1);
  CHECK_THAT(bad_wnid.err, Contains("list.txt:1") && Contains("unknown wnid 'n99999999'"));

  const auto bad_prompt = breeds(dir, base + val + " --set 'single_prompt.templates=[\"a {}\"]'");
  CHECK(bad_prompt.exit_code == 2);
  CHECK_THAT(bad_prompt.err, Contains("single_prompt.templates"));
}
