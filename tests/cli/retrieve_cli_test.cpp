// hc-retrieve end to end: both metrics fixtures through --embeddings, runs with a model (cache,
// baselines, cross-modal R@K), every bad input of issue 5, the qualitative report rendered in
// headless Chromium, cross-modal mode on any image-caption CSV, the synthetic demo sample.
#include "catch_torch.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/io/csv.h"
#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using nlohmann::json;
using hc::test::shared_path;
using hc::test::TempDir;

using hc::test::quoted;

fs::path tiny_model() { return shared_path("fixtures/model/tiny-quickgelu"); }
fs::path test_images() { return shared_path("data/hierarcaps/test_imgs"); }
fs::path test_csv() { return shared_path("data/hierarcaps/hierarcaps_test.csv"); }

// hc-retrieve with its caches (embeddings, fingerprints) inside `cache`.
hc::test::CommandResult retrieve(const fs::path& cache, const std::string& arguments) {
  return hc::test::run_command("env -u HC_VOCAB HC_CACHE_DIR=" + quoted(cache) + " " +
                               hc::test::binary("hc-retrieve") + " --threads 2 " + arguments);
}

json read_json(const fs::path& path) { return json::parse(hc::test::read_bytes(path)); }

// The first `rows` rows of the HierarCaps test CSV, and the image files they use.
struct Subset {
  fs::path csv;
  std::vector<fs::path> images;
};

Subset write_subset(const fs::path& csv, std::size_t rows) {
  hc::CsvReader reader(test_csv());
  std::ostringstream text;
  hc::CsvWriter writer(text);
  writer.write_row(reader.header());
  Subset subset{csv, {}};
  hc::CsvRow row;
  const std::size_t url = reader.column("image_url");
  for (std::size_t i = 0; i < rows && reader.next(row); ++i) {
    writer.write_row(row.fields);
    subset.images.push_back(test_images() / fs::path(row[url]).filename());
  }
  hc::test::write_bytes(csv, text.str());
  return subset;
}

void copy_images(const std::vector<fs::path>& images, const fs::path& folder) {
  fs::create_directories(folder);
  for (const auto& image : images) fs::copy_file(image, folder / image.filename());
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// $HC_CHROMIUM, else Debian's chromium (scripts/install-deps.sh) or another Chromium on PATH;
// empty when none runs.
std::string chromium_binary() {
  std::vector<std::string> names{"chromium", "chromium-browser", "google-chrome"};
  if (const char* given = std::getenv("HC_CHROMIUM"); given && *given) names = {given};
  for (const auto& name : names) {
    if (hc::test::run_command("command -v '" + name + "'").exit_code == 0) return name;
  }
  return "";
}

}  // namespace

TEST_CASE("hc-retrieve --embeddings reproduces both metrics fixtures end to end", "[cli]") {
  const std::string name = GENERATE(as<std::string>(), "hierarcaps_test", "multiref");
  CAPTURE(name);
  const fs::path folder = shared_path("fixtures/metrics/" + name);
  const fs::path csv = name == "multiref" ? folder / "multiref.csv" : test_csv();
  const json expected = read_json(folder / "expected.json");
  TempDir dir;
  const fs::path out = dir / "run" / "result.json";
  const auto result = retrieve(
      dir / "cache", "--embeddings " + quoted(folder / "embeddings.safetensors") + " --csv " +
                         quoted(csv) + " --images " + quoted(test_images()) + " --vocab " +
                         quoted(shared_path("data/clip-tokenizer")) +
                         " --set output.per_item=true --set output.per_image_jsonl=true -o " +
                         quoted(out));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json run = read_json(out);
  CHECK(run["tool"] == "hc-retrieve");
  CHECK(run["config"]["embeddings"]["file"] == (folder / "embeddings.safetensors").string());
  CHECK(run["root"]["source"].get<std::string>().find(": root") != std::string::npos);
  const json& metrics = run["metrics"];
  CHECK(metrics["rows"] == expected["n_rows"]);
  CHECK(metrics["images"] == expected["n_images"]);
  for (const char* key : {"precision", "recall", "d_corr"}) {
    CAPTURE(key);
    CHECK(std::abs(metrics[key].get<double>() - expected[key].get<double>()) <= 1e-9);
  }
  std::vector<double> precision, recall, tau;
  double score_diff = 0.0;
  const json& per_image = metrics["per_image"];
  REQUIRE(per_image.size() == expected["image_order"].size());
  for (std::size_t i = 0; i < per_image.size(); ++i) {
    precision.push_back(per_image[i]["precision"]);
    recall.push_back(per_image[i]["recall"]);
    CHECK(per_image[i]["file"] == expected["image_order"][i]);
    CHECK(per_image[i]["chain"] == expected["per_image_predictions"][i]);
    score_diff = std::max(score_diff, max_abs_diff(per_image[i]["scores"],
                                                   expected["per_image_prediction_scores"][i]));
  }
  for (const auto& row : metrics["per_row"]) tau.push_back(row["tau"]);
  CHECK(max_abs_diff(precision, expected["per_image_precision"]) <= 1e-12);
  CHECK(max_abs_diff(recall, expected["per_image_recall"]) <= 1e-12);
  CHECK(max_abs_diff(tau, expected["per_row_tau"]) <= 1e-12);
  CHECK(score_diff <= 1e-5);
  CHECK(max_abs_diff(metrics["levels"], expected["levels"]) <= 1e-5);

  // Calibration baselines and cross-modal recall come with every quantitative result.
  CHECK(metrics["baselines"]["char_length"]["d_corr"].is_number());
  CHECK(metrics["baselines"]["token_count"]["d_corr"].is_number());
  CHECK(metrics["crossmodal"]["text_to_image"]["R@1"].is_number());
  CHECK(metrics["crossmodal"]["tier"] == 4);
  // How fast the metric runs is bench_retrieve's figure (metric.d64_seconds), not a test's.
  CHECK(run["timing"]["metric_s"].get<double>() >= 0.0);
  CHECK(run["timing"]["metric_s"].get<double>() <= run["timing"]["total_s"].get<double>());
  if (name == "hierarcaps_test") {
    CHECK(metrics["baselines"]["char_length"]["d_corr"].get<double>() == Approx(0.874).margin(5e-4));
  }
  // The per-image JSONL beside the result.
  REQUIRE(run["artefacts"].size() == 1);
  const std::string lines = hc::test::read_bytes(dir / "run" / "per_image.jsonl");
  CHECK(static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n')) == per_image.size());
}

TEST_CASE("hc-retrieve without per-item output, and on stdout", "[cli]") {
  TempDir dir;
  const fs::path folder = shared_path("fixtures/metrics/multiref");
  const auto result = retrieve(dir / "cache", "--embeddings " +
                                                  quoted(folder / "embeddings.safetensors") +
                                                  " --csv " + quoted(folder / "multiref.csv") + " -o -");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json run = json::parse(result.out);
  CHECK(run["metrics"]["precision"] == read_json(folder / "expected.json")["precision"]);
  CHECK_FALSE(run["metrics"].contains("per_image"));
  // No model and no vocabulary: the token-count baseline says why it is missing.
  CHECK(run["metrics"]["baselines"]["token_count"]["d_corr"].is_null());
  CHECK_THAT(result.err, Contains("char length"));
}

TEST_CASE("hc-retrieve with a model: metrics, baselines, R@K; the second run uses the cache",
          "[cli]") {
  TempDir dir;
  const Subset subset = write_subset(dir / "subset.csv", 12);
  const std::string arguments = "--model " + quoted(tiny_model()) + " --csv " +
                                quoted(subset.csv) + " --images " + quoted(test_images()) +
                                " --set baselines.random_init=true --batch-size 5";
  const auto first = retrieve(dir / "cache", arguments + " -o " + quoted(dir / "first.json"));
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const json run = read_json(dir / "first.json");
  CHECK(run["model"]["name"] == "tiny-quickgelu");
  CHECK(run["model"]["sha256"].get<std::string>().size() == 64);
  CHECK(run["metrics"]["rows"] == 12);
  CHECK(run["metrics"]["images"] == 12);
  for (const char* key : {"precision", "recall", "d_corr"}) CHECK(run["metrics"][key].is_number());
  CHECK(run["metrics"]["baselines"]["token_count"]["d_corr"].is_number());
  CHECK(run["metrics"]["baselines"]["random_init"]["d_corr"].is_number());
  CHECK(run["metrics"]["baselines"]["random_init"]["seed"] == 0);
  CHECK(run["metrics"]["crossmodal"]["captions"] == 12);
  CHECK(run["root"]["source"] == "model: embedding of \"\"");
  CHECK(run["embedding"]["texts_computed"].get<int>() > 0);
  CHECK(run["embedding"]["images_computed"] == 12);
  CHECK(run["embedding"]["batch_size"] == 5);
  for (const char* stage : {"load_data_s", "load_model_s", "embed_texts_s", "embed_images_s",
                            "metric_s", "baselines_s", "total_s"}) {
    CAPTURE(stage);
    CHECK(run["timing"][stage].is_number());
  }
  CHECK_THAT(first.err, Contains("d_corr"));
  CHECK_THAT(first.err, Contains("random-init model"));

  const auto second = retrieve(dir / "cache", arguments + " -o " + quoted(dir / "second.json"));
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  const json again = read_json(dir / "second.json");
  CHECK(again["embedding"]["text_forward_calls"] == 0);
  CHECK(again["embedding"]["image_forward_calls"] == 0);
  CHECK(again["embedding"]["images_from_cache"] == 12);
  CHECK(again["metrics"]["precision"] == run["metrics"]["precision"]);
  CHECK(again["metrics"]["d_corr"] == run["metrics"]["d_corr"]);

  // Other roots change the radii, not the run.
  const auto origin = retrieve(dir / "cache", arguments + " --root origin -o -");
  REQUIRE(origin.exit_code == 0);
  CHECK(json::parse(origin.out)["root"]["mode"] == "origin");
}

TEST_CASE("hc-retrieve bad input: images missing for some rows", "[cli]") {
  TempDir dir;
  const Subset subset = write_subset(dir / "subset.csv", 8);
  copy_images({subset.images.begin(), subset.images.begin() + 5}, dir / "images");
  const std::string arguments = "--model " + quoted(tiny_model()) + " --csv " +
                                quoted(subset.csv) + " --images " + quoted(dir / "images");
  const auto failed = retrieve(dir / "cache", arguments + " -o -");
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Contains("3 of the images"));
  CHECK_THAT(failed.err, Contains("skip_missing_images"));
  // The first missing id, as a number.
  const std::string first_missing = subset.images[5].stem().string();
  CHECK_THAT(failed.err, Contains(std::to_string(std::stoll(first_missing.substr(first_missing.rfind('_') + 1)))));
  CHECK(failed.out.empty());

  const auto skipped = retrieve(dir / "cache", arguments + " --skip-missing -o -");
  INFO(skipped.err);
  REQUIRE(skipped.exit_code == 0);
  const json run = json::parse(skipped.out);
  CHECK(run["metrics"]["rows"] == 5);
  CHECK(run["metrics"]["skipped"].size() == 3);
  CHECK(run["metrics"]["skipped"][0]["id"] == "5");
  CHECK_THAT(skipped.err, Contains("skipped 3 rows"));
}

TEST_CASE("hc-retrieve bad input: a row without exactly 4 tiers names its row", "[cli]") {
  TempDir dir;
  hc::test::write_bytes(dir / "bad.csv",
                        "id,captions,image_url\n"
                        "0,a => b => c => d,http://x/COCO_val2014_000000000139.jpg\n"
                        "1,a => b => c,http://x/COCO_val2014_000000000776.jpg\n");
  const auto result = retrieve(dir / "cache", "--model " + quoted(tiny_model()) + " --csv " +
                                                  quoted(dir / "bad.csv") + " --images " +
                                                  quoted(test_images()) + " -o -");
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Contains("bad.csv:3: row 2"));
  CHECK_THAT(result.err, Contains("3 tiers"));
}

TEST_CASE("hc-retrieve bad input: an undecodable image names the file", "[cli]") {
  TempDir dir;
  const Subset subset = write_subset(dir / "subset.csv", 4);
  copy_images({subset.images.begin(), subset.images.begin() + 3}, dir / "images");
  const fs::path broken = dir / "images" / subset.images[3].filename();
  hc::test::write_bytes(broken, "\xFF\xD8\xFF\xE0 this is not really a JPEG");
  const auto result = retrieve(dir / "cache", "--model " + quoted(tiny_model()) + " --csv " +
                                                  quoted(subset.csv) + " --images " +
                                                  quoted(dir / "images") + " -o -");
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Contains(broken.filename().string()));
  CHECK(result.out.empty());
}

TEST_CASE("hc-retrieve bad input: a model and embeddings of different dimensions", "[cli]") {
  TempDir dir;
  const fs::path folder = shared_path("fixtures/metrics/multiref");
  const auto result = retrieve(dir / "cache", "--model " + quoted(tiny_model()) +
                                                  " --embeddings " +
                                                  quoted(folder / "embeddings.safetensors") +
                                                  " --csv " + quoted(folder / "multiref.csv") +
                                                  " -o -");
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Contains("tiny-quickgelu embeds into 32 dimensions"));
  CHECK_THAT(result.err, Contains("64-dimensional"));
}

TEST_CASE("hc-retrieve bad input: usage errors exit 2 naming the key", "[cli]") {
  TempDir dir;
  const fs::path folder = shared_path("fixtures/metrics/multiref");
  const std::string csv = " --csv " + quoted(folder / "multiref.csv");
  auto result = retrieve(dir / "cache", csv + " -o -");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("needs a model (--model, model.path) or embeddings"));

  result = retrieve(dir / "cache", "--model " + quoted(tiny_model()) + csv + " -o -");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("data.images"));

  result = retrieve(dir / "cache", "--embeddings " + quoted(dir / "nope.safetensors") + csv);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("embeddings.file"));

  result = retrieve(dir / "cache", csv + " --set retrieval.stepz=3");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("retrieval.stepz"));

  result = retrieve(dir / "cache", csv + " --mode bogus");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("hierarchical"));

  result = retrieve(dir / "cache", csv + " --embeddings " + quoted(folder / "embeddings.safetensors") +
                                       " --set root.mode=nowhere.safetensors");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("root.mode"));

  result = retrieve(dir / "cache", csv + " --mode qualitative --model " + quoted(tiny_model()) +
                                       " --images " + quoted(test_images()));
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("qualitative.candidates"));

  result = retrieve(dir / "cache", "--dump-config" + csv);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Contains("steps: 50"));

  // An embeddings file without a root needs a model for root=empty, not for the other roots.
  {
    auto file = hc::SafetensorsFile::open(folder / "embeddings.safetensors");
    hc::SafetensorsWriter writer;
    hc::add_tensor(writer, "text", hc::to_tensor(file->get("text"), torch::kCPU));
    hc::add_tensor(writer, "image", hc::to_tensor(file->get("image"), torch::kCPU));
    writer.write(dir / "rootless.safetensors");
  }
  const std::string rootless = csv + " --embeddings " + quoted(dir / "rootless.safetensors");
  result = retrieve(dir / "cache", rootless + " -o -");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("has no 'root' tensor"));
  result = retrieve(dir / "cache", rootless + " --root mean -o -");
  CHECK(result.exit_code == 0);
  CHECK(json::parse(result.out)["root"]["mode"] == "mean");
}

TEST_CASE("hc-retrieve qualitative: chains as JSONL and an HTML page Chromium renders", "[cli]") {
  TempDir dir;
  const Subset subset = write_subset(dir / "subset.csv", 5);
  const fs::path out = dir / "report" / "result.json";
  const auto result = retrieve(
      dir / "cache",
      "--mode qualitative --model " + quoted(tiny_model()) + " --csv " + quoted(subset.csv) +
          " --images " + quoted(test_images()) + " --candidates " +
          quoted(shared_path("data/hierarcaps/hierarcaps_test_expanded.csv.gz")) +
          " --set qualitative.max_candidates=300 --set qualitative.thumbnail_size=96 -o " +
          quoted(out));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json run = read_json(out);
  CHECK(run["metrics"]["images"] == 5);
  CHECK(run["metrics"]["candidates"] == 300);
  REQUIRE(run["artefacts"].size() == 2);
  CHECK(run["artefacts"][0]["path"] == "chains.jsonl");
  CHECK(run["artefacts"][1]["path"] == "chains.html");

  const std::string jsonl = hc::test::read_bytes(dir / "report" / "chains.jsonl");
  std::istringstream lines(jsonl);
  std::string line;
  std::size_t count = 0;
  for (; std::getline(lines, line); ++count) {
    const json item = json::parse(line);
    CHECK(item["file"] == subset.images[count].filename().string());
    CHECK_FALSE(item["chain"].empty());
    CHECK(item["ground_truth"].size() == 1);
  }
  CHECK(count == 5);

  // Render the page as a person would see it. A missing browser fails: the page must be seen.
  const std::string chromium = chromium_binary();
  if (chromium.empty()) {
    const char* given = std::getenv("HC_CHROMIUM");
    FAIL("chromium not found (" << (given && *given ? std::string("HC_CHROMIUM=") + given
                                                    : std::string("looked for chromium, "
                                                                  "chromium-browser, google-chrome on PATH"))
                                << "): install Debian's chromium (scripts/install-deps.sh does) "
                                   "or set HC_CHROMIUM to a Chromium or Chrome binary");
  }
  const fs::path html = dir / "report" / "chains.html";
  const fs::path png = dir / "page.png";
  const std::string flags = " --headless --no-sandbox --disable-gpu --disable-background-networking "
                            "--disable-component-update --disable-sync --no-first-run "
                            "--user-data-dir=" + quoted(dir / "chromium-profile");
  const auto shot = hc::test::run_command("timeout 120 " + chromium + flags + " --screenshot=" +
                                          quoted(png) + " --window-size=1200,2000 " +
                                          quoted(fs::path("file://" + html.string())));
  INFO(shot.err);
  REQUIRE(fs::exists(png));
  const std::string bytes = hc::test::read_bytes(png);
  CHECK(bytes.size() > 1000);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

  // The DOM Chromium built from the page holds every image with its chain.
  const auto dom = hc::test::run_command("timeout 120 " + chromium + flags + " --dump-dom " +
                                         quoted(fs::path("file://" + html.string())));
  REQUIRE(dom.exit_code == 0);
  std::size_t sections = 0;
  for (auto at = dom.out.find("<section class=\"item\""); at != std::string::npos;
       at = dom.out.find("<section class=\"item\"", at + 1)) {
    ++sections;
  }
  CHECK(sections == 5);
  for (const auto& image : subset.images) CHECK_THAT(dom.out, Contains(image.filename().string()));
}

TEST_CASE("hc-retrieve crossmodal: R@K for any image-caption CSV and for HierarCaps", "[cli]") {
  TempDir dir;
  const Subset subset = write_subset(dir / "subset.csv", 6);
  copy_images(subset.images, dir / "pics");
  std::string csv = "image,caption\n";
  for (const auto& image : subset.images) csv += "pics/" + image.filename().string() + ",a photo\n";
  csv += "pics/" + subset.images[0].filename().string() + ",\"another photo, same image\"\n";
  hc::test::write_bytes(dir / "captions.csv", csv);

  auto result = retrieve(dir / "cache", "--mode crossmodal --model " + quoted(tiny_model()) +
                                            " --csv " + quoted(dir / "captions.csv") + " -o -");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  json run = json::parse(result.out);
  CHECK(run["metrics"]["format"] == "captions");
  CHECK(run["metrics"]["captions"] == 7);
  CHECK(run["metrics"]["images"] == 6);
  CHECK(run["metrics"]["text_to_image"]["R@10"] == 1.0);  // only 6 images to rank
  CHECK(run["metrics"]["image_to_text"]["R@10"] == 1.0);

  result = retrieve(dir / "cache", "--mode crossmodal --model " + quoted(tiny_model()) +
                                       " --csv " + quoted(subset.csv) + " --images " +
                                       quoted(test_images()) + " --set 'crossmodal.ks=[1,2]' -o -");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  run = json::parse(result.out);
  CHECK(run["metrics"]["format"] == "hierarcaps");
  CHECK(run["metrics"]["tier"] == 4);
  CHECK(run["metrics"]["text_to_image"].contains("R@2"));
  CHECK_FALSE(run["metrics"]["text_to_image"].contains("R@5"));
}

TEST_CASE("hc-retrieve --write-synthetic: the offline sample runs through the tool", "[cli]") {
  TempDir dir;
  const auto written = retrieve(dir / "cache", "--write-synthetic " + quoted(dir / "sample"));
  INFO(written.err);
  REQUIRE(written.exit_code == 0);
  const fs::path csv = dir / "sample" / "hierarcaps_synthetic.csv";
  CHECK_THAT(written.out, Contains(csv.string()));
  const auto result = retrieve(dir / "cache", "--model " + quoted(tiny_model()) + " --csv " +
                                                  quoted(csv) + " --images " +
                                                  quoted(dir / "sample" / "images") + " -o -");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(json::parse(result.out)["metrics"]["rows"] == 24);
}
