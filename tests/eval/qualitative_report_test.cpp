// The qualitative report's pieces: escaping, thumbnails as data URIs, the JSONL lines and a
// page that holds every image and marks ground-truth hits. (Rendering in Chromium is tested
// end to end in tests/cli/retrieve_cli_test.cpp.)
#include "catch_torch.h"

#include <filesystem>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "hc/data/hierarcaps.h"
#include "hc/eval/qualitative_report.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<hc::QualitativeItem> items() {
  hc::HierarCapsOptions options;
  options.csv = hc::test::shared_path("fixtures/metrics/multiref/multiref.csv");
  options.images = hc::test::shared_path("data/hierarcaps/test_imgs");
  const auto set = hc::load_hierarcaps(options);
  std::vector<std::vector<std::string>> chains;
  std::vector<std::vector<double>> scores;
  for (const auto& image : set.images) {
    const auto& truth = set.rows[image.rows.front()].captions;
    chains.push_back({truth[0], "a <b>bold</b> & \"quoted\" guess", truth[3]});
    scores.push_back({0.1, 0.2, 0.3});
  }
  return hc::qualitative_items(set, chains, scores, 4);
}

}  // namespace

TEST_CASE("qualitative report: html_escape leaves nothing that could open a tag or attribute") {
  CHECK(hc::html_escape("a <b> & \"c\" 'd'") == "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;");
  CHECK(hc::html_escape("plain") == "plain");
}

TEST_CASE("qualitative report: thumbnails are small base64 JPEG data URIs") {
  const fs::path image = hc::test::shared_path("data/hierarcaps/test_imgs/COCO_val2014_000000000139.jpg");
  const std::string uri = hc::thumbnail_data_uri(image, 64);
  CHECK_THAT(uri, StartsWith("data:image/jpeg;base64,/9j/"));  // FF D8 FF: a JPEG
  CHECK(uri.size() < 8000);
  CHECK(uri.size() % 4 == std::string("data:image/jpeg;base64,").size() % 4);
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "broken.jpg", "not a jpeg");
  CHECK_THROWS_WITH(hc::thumbnail_data_uri(dir / "broken.jpg", 64), Contains("broken.jpg"));
}

TEST_CASE("qualitative report: JSONL and HTML list every image with its chains") {
  const auto report = items();
  REQUIRE(report.size() == 4);
  CHECK(report[0].ground_truth.size() >= 1);
  hc::test::TempDir dir;
  hc::write_chains_jsonl(dir / "chains.jsonl", report);
  std::istringstream lines(hc::test::read_bytes(dir / "chains.jsonl"));
  std::string line;
  std::size_t n = 0;
  for (; std::getline(lines, line); ++n) {
    const auto json = nlohmann::json::parse(line);
    CHECK(json["coco_id"] == report[n].coco_id);
    CHECK(json["chain"].size() == 3);
    CHECK(json["ground_truth"][0].size() == 4);
  }
  CHECK(n == 4);

  hc::QualitativePageInfo info;
  info.model = "tiny <model>";
  info.candidates = "pool.csv";
  info.candidate_count = 12;
  info.steps = 50;
  info.thumbnail_size = 48;
  hc::write_chains_html(dir / "chains.html", report, info);
  const std::string html = hc::test::read_bytes(dir / "chains.html");
  CHECK_THAT(html, StartsWith("<!DOCTYPE html>"));
  CHECK(count(html, "<section class=\"item\"") == 4);
  CHECK(count(html, "src=\"data:image/jpeg;base64,") == 4);
  for (const auto& item : report) CHECK_THAT(html, Contains(item.image.filename().string()));
  CHECK_THAT(html, Contains("tiny &lt;model&gt;"));
  CHECK_THAT(html, Contains("a &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; guess"));
  CHECK(count(html, "<li class=\"hit\">") == 8);  // first and last prediction of each image
  CHECK(html.find("http") == std::string::npos);  // self-contained: nothing to fetch
}
