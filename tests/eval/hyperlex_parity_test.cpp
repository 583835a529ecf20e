// HyperLex end to end from the fixture's stored embeddings: the scores -Xi(e(WORD2), e(WORD1))
// and Spearman's rho reproduce ../shared/fixtures/hyperlex (README tolerances: rho within 1e-5
// when recomputed from the embeddings), and the report's subsets, per-type means and baselines
// behave.
#include "catch_torch.h"

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/data/hyperlex.h"
#include "hc/eval/hyperlex.h"
#include "hc/eval/hyperlex_embeddings.h"
#include "hc/eval/hyperlex_scores.h"
#include "hc/geometry/exterior_angle.h"
#include "hc/geometry/precision.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

namespace {

using Catch::Matchers::Contains;
using hc::test::shared_path;

const nlohmann::json& fixture() {
  static const nlohmann::json json = nlohmann::json::parse(
      hc::test::read_bytes(shared_path("fixtures/hyperlex/expected.json")));
  return json;
}

double expected_rho(const std::string& prediction, const std::string& subset) {
  return fixture()["results"][prediction][subset]["AVG_SCORE"]["rho"].get<double>();
}

const hc::HyperLexSet& all_pairs() {
  static const hc::HyperLexSet set = hc::load_hyperlex(shared_path("data/hyperlex/hyperlex-all.txt"));
  return set;
}

hc::WordEmbeddings fixture_embeddings() {
  hc::WordEmbeddingsOptions options;
  options.file = shared_path("fixtures/hyperlex/word_embeddings.safetensors");
  options.words = shared_path("fixtures/hyperlex/expected.json");
  return hc::load_word_embeddings(options);
}

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor cpu = t.to(at::kDouble).contiguous();
  return std::vector<double>(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel());
}

}  // namespace

TEST_CASE("hyperlex parity: scores and rho from the stored embeddings") {
  const auto& set = all_pairs();
  const auto loaded = fixture_embeddings();
  REQUIRE(loaded.root.has_value());
  const at::Tensor words = loaded.rows(set.words);
  const auto scores = hc::hyperlex_scores(set, words, *loaded.root, hc::HyperLexScorer::ExteriorAngle);

  // Per pair, against the reference's float64 pred_ext.
  const auto expected_scores = fixture()["pairs"]["pred_ext"].get<std::vector<double>>();
  REQUIRE(scores.size() == expected_scores.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    worst = std::max(worst, std::fabs(scores[i] - expected_scores[i]));
  }
  INFO("largest score difference " << worst);
  CHECK(worst <= 1e-9);

  const auto report = hc::hyperlex_report(set, scores, set.gold("AVG_SCORE"));
  CHECK(std::fabs(report.all.rho - expected_rho("pred_ext", "all")) <= 1e-5);
  CHECK(std::fabs(report.nouns.rho - expected_rho("pred_ext", "nouns")) <= 1e-5);
  CHECK(report.all.n == 2616);
  CHECK(report.nouns.n == 2163);
  CHECK(report.verbs.n == 453);
  // Computed in float64 like the reference: in practice as tight as the stored scores.
  CHECK(std::fabs(report.all.rho - expected_rho("pred_ext", "all")) <= 1e-9);
  const auto scaled = hc::hyperlex_report(set, scores, set.gold("AVG_SCORE_0_10"));
  CHECK(scaled.all.rho == report.all.rho);
}

TEST_CASE("hyperlex parity: float32 geometry stays within the README's 1e-5") {
  const auto& set = all_pairs();
  const auto loaded = fixture_embeddings();
  const at::Tensor unit = hc::normalize_embeddings(loaded.rows(set.words).to(at::kFloat));
  const at::Tensor root = hc::normalize_embeddings(loaded.root->to(at::kFloat));
  std::vector<int64_t> w1, w2;
  for (const auto& pair : set.pairs) {
    w1.push_back(static_cast<int64_t>(pair.word1_index));
    w2.push_back(static_cast<int64_t>(pair.word2_index));
  }
  const at::Tensor specific = unit.index_select(0, at::tensor(w1));
  const at::Tensor general = unit.index_select(0, at::tensor(w2));
  const auto gold = set.gold("AVG_SCORE");
  const auto scores = to_vector(-hc::exterior_angle(general, specific, root));
  const auto report = hc::hyperlex_report(set, scores, gold);
  CHECK(std::fabs(report.all.rho - expected_rho("pred_ext", "all")) <= 1e-5);
  CHECK(std::fabs(report.nouns.rho - expected_rho("pred_ext", "nouns")) <= 1e-5);

  // The classic mistake, x = e(WORD1): the fixture's row for it, and far from the right rho.
  const auto swapped = to_vector(-hc::exterior_angle(specific, general, root));
  const auto mistake = hc::hyperlex_report(set, swapped, gold);
  CHECK(std::fabs(mistake.all.rho - expected_rho("mistake_pred_ext_with_swapped_arguments", "all")) <= 1e-5);
  CHECK(std::fabs(mistake.nouns.rho -
                  expected_rho("mistake_pred_ext_with_swapped_arguments", "nouns")) <= 1e-5);
  CHECK(std::fabs(mistake.all.rho - report.all.rho) > 0.05);
}

TEST_CASE("hyperlex report: subsets, per-type means in reading order, baselines") {
  hc::test::TempDir dir;
  const auto file = dir / "small.txt";
  hc::test::write_bytes(file,
                        "WORD1 WORD2 POS TYPE AVG_SCORE AVG_SCORE_0_10\n"
                        "dog animal N hyp-1 5.5 9.2\n"
                        "animal dog N r-hyp-1 1.0 1.7\n"
                        "cat dog N cohyp 0.5 0.8\n"
                        "run move V hyp-3 4.0 6.7\n"
                        "move run V odd 2.0 3.3\n"
                        "cat animal N hyp-1 5.0 8.3\n");
  const auto set = hc::load_hyperlex(file);
  REQUIRE(set.words == std::vector<std::string>{"dog", "animal", "cat", "run", "move"});
  // Root at the north pole, generic words near it, specific ones further out.
  const double h = std::sqrt(0.5);
  const at::Tensor e = torch::tensor({{h, 0.0, h},      // dog
                                      {0.0, 0.2, 1.0},  // animal
                                      {0.0, h, h},      // cat
                                      {1.0, 0.0, 0.0},  // run
                                      {0.6, 0.0, 0.8}},  // move
                                     torch::kDouble);
  const at::Tensor root = torch::tensor({0.0, 0.0, 1.0}, torch::kDouble);

  const auto cosine = hc::hyperlex_scores(set, e, root, hc::HyperLexScorer::Cosine);
  const at::Tensor unit = hc::normalize_embeddings(e);
  CHECK(cosine[0] == Approx((unit[0] * unit[1]).sum().item<double>()).margin(1e-15));
  CHECK(cosine[0] == Approx(cosine[1]).margin(1e-15));  // symmetric
  const auto generic = hc::hyperlex_scores(set, e, root, hc::HyperLexScorer::Genericness);
  CHECK(generic[0] == Approx((unit[0] - root).norm().item<double>() -
                             (unit[1] - root).norm().item<double>()).margin(1e-15));
  CHECK(generic[0] > 0.0);  // dog further from the root than animal
  CHECK(generic[1] == Approx(-generic[0]).margin(1e-15));
  const auto angle = hc::hyperlex_scores(set, e, root, hc::HyperLexScorer::ExteriorAngle);
  CHECK(angle[0] > angle[1]);  // "dog is an animal" beats "animal is a dog"

  const auto report = hc::hyperlex_report(set, angle, set.gold("AVG_SCORE"));
  CHECK(report.all.n == 6);
  CHECK(report.nouns.n == 4);
  CHECK(report.verbs.n == 2);
  std::vector<std::string> types;
  for (const auto& t : report.per_type) types.push_back(t.type);
  CHECK(types == std::vector<std::string>{"hyp-1", "hyp-3", "r-hyp-1", "cohyp", "odd"});
  CHECK(report.per_type[0].count == 2);
  CHECK(report.per_type[0].mean_gold == Approx(5.25));
  CHECK(report.per_type[0].mean_score == Approx((angle[0] + angle[5]) / 2));

  const auto json = hc::hyperlex_report_json(report);
  CHECK(json["n_verbs"] == 2);
  CHECK(json["per_type"]["hyp-1"]["count"] == 2);
  // A subset with nothing in it is null, not NaN.
  const auto nouns = hc::load_hyperlex(file, "N");
  const auto noun_scores = hc::hyperlex_scores(
      nouns, e.index_select(0, torch::tensor({0, 1, 2})), root, hc::HyperLexScorer::Cosine);
  const auto noun_json = hc::hyperlex_report_json(hc::hyperlex_report(nouns, noun_scores,
                                                                      nouns.gold("AVG_SCORE")));
  CHECK(noun_json["rho_verbs"].is_null());
  CHECK(noun_json["n_verbs"] == 0);

  CHECK_THROWS_AS(hc::hyperlex_scores(set, e.narrow(0, 0, 4), root, hc::HyperLexScorer::Cosine),
                  hc::Error);
  CHECK_THROWS_AS(hc::hyperlex_scores(set, e, torch::zeros({2}), hc::HyperLexScorer::Cosine),
                  hc::Error);
  CHECK_THROWS_AS(hc::hyperlex_report(set, {1.0}, set.gold("AVG_SCORE")), hc::Error);
  CHECK_THROWS_WITH(hc::parse_hyperlex_scorer("dot"), Contains("unknown HyperLex scorer"));
}

TEST_CASE("hyperlex embeddings: word lists, tensors and their errors") {
  hc::test::TempDir dir;
  const auto file = dir / "emb.safetensors";
  hc::SafetensorsWriter writer;
  hc::add_tensor(writer, "text_embeds", torch::eye(3, torch::kFloat));
  hc::add_tensor(writer, "root", torch::tensor({{0.0f, 0.0f, 2.0f}}));
  writer.write(file);
  const auto words = dir / "words.json";
  hc::test::write_bytes(words, R"({"inputs": {"text_embeds": {"texts": ["a", "b", "c"]}}})");
  hc::WordEmbeddingsOptions options;
  options.file = file;
  options.words = words;
  const auto loaded = hc::load_word_embeddings(options);
  CHECK(loaded.tensor == "text_embeds");
  REQUIRE(loaded.root.has_value());
  CHECK(loaded.root->dim() == 1);
  CHECK(torch::equal(loaded.rows({"c", "a"}), torch::tensor({{0.0f, 0.0f, 1.0f}, {1.0f, 0.0f, 0.0f}})));
  CHECK_THROWS_WITH(loaded.rows({"a", "zebra", "yak"}),
                    Contains("2 of the 3 words") && Contains("zebra, yak"));

  hc::test::write_bytes(words, R"(["a", "b"])");
  CHECK_THROWS_WITH(hc::load_word_embeddings(options), Contains("has 3 rows but"));
  hc::test::write_bytes(words, R"(["a", "b", "a"])");
  CHECK_THROWS_WITH(hc::load_word_embeddings(options), Contains("'a' appears twice"));
  hc::test::write_bytes(words, R"(["a", 2, "c"])");
  CHECK_THROWS_WITH(hc::load_word_embeddings(options), Contains("word [1] is not a string"));
  hc::test::write_bytes(words, R"({"list": []})");
  CHECK_THROWS_AS(hc::load_word_embeddings(options), hc::Error);
  hc::test::write_bytes(words, "[\"a\",");
  CHECK_THROWS_WITH(hc::load_word_embeddings(options), Contains("invalid JSON"));
  hc::test::write_bytes(words, R"(["a", "b", "c"])");
  options.tensor = "missing";
  CHECK_THROWS_WITH(hc::load_word_embeddings(options), Contains("no tensor 'missing'"));
}
