// hc-eval-hyperlex end to end: the fixture's embeddings reproduce its rho through the binary;
// a real (tiny) model runs with one prompt and with an ensemble, and agrees with the same
// embeddings brought from `hc embed`; bad inputs give the right exit codes and messages.
#include "catch_torch.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/data/hyperlex.h"
#include "test_paths.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::shared_path;
using hc::test::TempDir;

using hc::test::quoted;

fs::path fixture_model() { return shared_path("fixtures/model/tiny-quickgelu"); }

hc::test::CommandResult hyperlex(const fs::path& cache, const std::string& arguments) {
  return hc::test::run_command("HC_CACHE_DIR=" + quoted(cache) + " " +
                               hc::test::binary("hc-eval-hyperlex") + " --threads 2 " + arguments);
}

nlohmann::json read_json(const fs::path& file) {
  return nlohmann::json::parse(hc::test::read_bytes(file));
}

// The first `rows` pairs of hyperlex-all.txt (nouns and verbs), with its header.
fs::path small_hyperlex(const TempDir& dir, std::size_t rows) {
  std::ifstream in(shared_path("data/hyperlex/hyperlex-all.txt"));
  std::string text, line;
  for (std::size_t i = 0; i <= rows && std::getline(in, line); ++i) text += line + "\n";
  const fs::path file = dir / "small.txt";
  hc::test::write_bytes(file, text);
  return file;
}

}  // namespace

TEST_CASE("hc-eval-hyperlex reproduces the fixture from its stored embeddings", "[cli]") {
  TempDir dir;
  const fs::path out = dir / "result.json";
  const auto result = hyperlex(
      dir.path(), "--data " + quoted(shared_path("data/hyperlex/hyperlex-all.txt")) +
                      " --embeddings " +
                      quoted(shared_path("fixtures/hyperlex/word_embeddings.safetensors")) +
                      " --words " + quoted(shared_path("fixtures/hyperlex/expected.json")) +
                      " --set hyperlex.write_scores=true -o " + quoted(out));
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto json = read_json(out);
  const auto expected = read_json(shared_path("fixtures/hyperlex/expected.json"))["results"]["pred_ext"];
  const auto& metrics = json["metrics"];
  CHECK(std::fabs(metrics["rho_all"].get<double>() -
                  expected["all"]["AVG_SCORE"]["rho"].get<double>()) <= 1e-5);
  CHECK(std::fabs(metrics["rho_nouns"].get<double>() -
                  expected["nouns"]["AVG_SCORE"]["rho"].get<double>()) <= 1e-5);
  CHECK(metrics["rho_verbs"].is_number());
  CHECK(metrics["counts"]["pairs"] == 2616);
  CHECK(metrics["counts"]["nouns"] == 2163);
  CHECK(metrics["counts"]["verbs"] == 453);
  CHECK(metrics["counts"]["words"] == 2231);
  CHECK(metrics["score"] == "-Xi(e(WORD2), e(WORD1))");
  for (const char* type : {"hyp-1", "hyp-4", "r-hyp-1", "cohyp", "mero", "syn", "ant", "no-rel"}) {
    CHECK(metrics["per_type"].contains(type));
  }
  CHECK(metrics["baselines"]["cosine"]["rho_all"].is_number());
  CHECK(metrics["baselines"]["genericness"]["rho_nouns"].is_number());
  CHECK(json["root"]["mode"] == "empty");
  CHECK(json["prompt"].is_null());
  CHECK(json["config"]["hyperlex"]["pos"] == "all");
  CHECK(json["tool"] == "hc-eval-hyperlex");
  // The per-pair artefact, in file order.
  const fs::path scores = dir / "scores.jsonl";
  REQUIRE(fs::exists(scores));
  std::ifstream in(scores);
  std::string first;
  std::getline(in, first);
  const auto row = nlohmann::json::parse(first);
  CHECK(row["word1"] == "conflict");
  const double pred_ext = read_json(shared_path("fixtures/hyperlex/expected.json"))["pairs"]["pred_ext"][0];
  CHECK(std::fabs(row["score"].get<double>() - pred_ext) <= 1e-9);
}

TEST_CASE("hc-eval-hyperlex with a model, one prompt and an ensemble", "[cli]") {
  TempDir dir;
  const fs::path data = small_hyperlex(dir, 40);
  const auto set = hc::load_hyperlex(data);
  const fs::path out = dir / "model.json";
  const std::string common = "--model " + quoted(fixture_model()) + " --data " + quoted(data);
  const auto result = hyperlex(dir.path(), common + " -o " + quoted(out));
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto json = read_json(out);
  CHECK(json["metrics"]["rho_all"].is_number());
  CHECK(json["metrics"]["counts"]["pairs"] == 40);
  CHECK(json["metrics"]["counts"]["words"] == set.words.size());
  CHECK(json["prompt"]["templates"] == nlohmann::json::array({"a picture of a {}"}));
  CHECK(json["prompt"]["ensemble"] == false);
  CHECK(json["root"]["mode"] == "empty");
  CHECK(json["model"]["sha256"].get<std::string>().size() == 64);
  CHECK(json["embedding"]["texts_computed"] == set.words.size() + 1);  // + ""

  // The same words, embedded by `hc embed` in the same prompt, brought as a file: same scores.
  std::string prompted;
  for (const auto& word : set.words) prompted += "a picture of a " + word + "\n";
  hc::test::write_bytes(dir / "prompted.txt", prompted);
  const auto embedded = hc::test::run_command(
      "HC_CACHE_DIR=" + quoted(dir.path()) + " " + hc::test::binary("hc") + " embed --model " +
      quoted(fixture_model()) + " --texts " + quoted(dir / "prompted.txt") + " -o " +
      quoted(dir / "words.safetensors"));
  INFO(embedded.out << embedded.err);
  REQUIRE(embedded.exit_code == 0);
  hc::test::write_bytes(dir / "words.json", nlohmann::json(set.words).dump());
  const auto byo = hyperlex(dir.path(), "--data " + quoted(data) + " --embeddings " +
                                            quoted(dir / "words.safetensors") + " --words " +
                                            quoted(dir / "words.json") + " --root mean -o " +
                                            quoted(dir / "byo.json"));
  INFO(byo.out << byo.err);
  REQUIRE(byo.exit_code == 0);
  const auto with_model = hyperlex(dir.path(), common + " --root mean -o " + quoted(dir / "mean.json"));
  REQUIRE(with_model.exit_code == 0);
  CHECK(std::fabs(read_json(dir / "byo.json")["metrics"]["rho_all"].get<double>() -
                  read_json(dir / "mean.json")["metrics"]["rho_all"].get<double>()) <= 1e-6);
  CHECK(read_json(dir / "mean.json")["embedding"]["texts_computed"] == 0);  // cached

  // An ensemble of templates.
  hc::test::write_bytes(dir / "templates.txt", "a photo of a {}.\na drawing of the {}.\n{}\n");
  const auto ensemble = hyperlex(dir.path(), common + " --templates " + quoted(dir / "templates.txt") +
                                                 " --pos N -o " + quoted(dir / "ensemble.json"));
  INFO(ensemble.out << ensemble.err);
  REQUIRE(ensemble.exit_code == 0);
  const auto ensemble_json = read_json(dir / "ensemble.json");
  CHECK(ensemble_json["prompt"]["ensemble"] == true);
  CHECK(ensemble_json["prompt"]["templates"].size() == 3);
  CHECK(ensemble_json["metrics"]["counts"]["verbs"] == 0);
  CHECK(ensemble_json["metrics"]["rho_verbs"].is_null());
}

TEST_CASE("hc-eval-hyperlex: bad input is reported with file, line and exit code", "[cli]") {
  TempDir dir;
  const std::string embeddings =
      " --embeddings " + quoted(shared_path("fixtures/hyperlex/word_embeddings.safetensors")) +
      " --words " + quoted(shared_path("fixtures/hyperlex/expected.json")) + " -o " +
      quoted(dir / "out.json");

  const fs::path bad = dir / "bad.txt";
  hc::test::write_bytes(bad, "WORD1 WORD2 POS TYPE AVG_SCORE AVG_SCORE_0_10 STD\n"
                             "dog animal N hyp-1 5.5 9.2 1\n"
                             "cat animal N hyp-1 lots 9.2 1\n");
  auto result = hyperlex(dir.path(), "--data " + quoted(bad) + embeddings);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out + result.err, Contains(bad.string() + ":3:"));
  CHECK_FALSE(fs::exists(dir / "out.json"));

  const fs::path empty = dir / "empty.txt";
  hc::test::write_bytes(empty, "");
  result = hyperlex(dir.path(), "--data " + quoted(empty) + embeddings);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out + result.err, Contains("empty"));

  const std::string data = " --data " + quoted(shared_path("data/hyperlex/hyperlex-all.txt"));
  result = hyperlex(dir.path(), data + embeddings + " --pos nouns");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.out + result.err, Contains("hyperlex.pos") && Contains("nouns"));

  result = hyperlex(dir.path(), data + " -o " + quoted(dir / "out.json"));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.out + result.err, Contains("--model"));

  result = hyperlex(dir.path(), data + embeddings + " --model x");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.out + result.err, Contains("not both"));

  result = hyperlex(dir.path(), data + embeddings + " --set hyperlex.baselines=[dot]");
  CHECK(result.exit_code == 2);

  hc::test::write_bytes(dir / "words.json", R"(["conflict"])");
  result = hyperlex(dir.path(), data + " --embeddings " +
                                    quoted(shared_path("fixtures/hyperlex/word_embeddings.safetensors")) +
                                    " --words " + quoted(dir / "words.json") + " -o -");
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out + result.err, Contains("rows but"));
  CHECK_FALSE(fs::exists(dir / "out.json"));
}

TEST_CASE("hc-eval-hyperlex: the example config resolves", "[cli]") {
  TempDir dir;
  const auto result = hyperlex(
      dir.path(), "--config " + quoted(fs::path(HC_TEST_SOURCE_DIR) / "configs/eval/hyperlex.yaml") +
                      " --dump-config");
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Contains("hyperlex:") && Contains("a picture of a {}") &&
                             Contains("mode: empty"));
}
