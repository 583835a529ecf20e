// `hc embed` end to end: a fixture checkpoint, a texts file and an image list in; embeddings,
// their order and the sidecar out; failures leave nothing behind.
#include "catch_torch.h"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/io/safetensors.h"
#include "hc/tensor/safetensors_tensor.h"
#include "test_support.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::shared_path;
using hc::test::TempDir;

using hc::test::quoted;

fs::path fixture_model() { return shared_path("fixtures/model/tiny-quickgelu"); }

// hc embed with its embedding cache inside `cache`.
hc::test::CommandResult embed(const fs::path& cache, const std::string& arguments) {
  return hc::test::run_command("HC_CACHE_DIR=" + quoted(cache) + " " + hc::test::binary("hc") +
                               " embed --threads 2 " + arguments);
}

at::Tensor read_tensor(const fs::path& file, const std::string& name) {
  auto opened = hc::SafetensorsFile::open(file);
  return hc::to_tensor(opened->get(name), at::kCPU);
}

at::Tensor expected(const std::string& name) {
  return read_tensor(fixture_model() / "expected.safetensors", name);
}

at::Tensor unit(const at::Tensor& x) { return x / x.norm(2, {1}, true); }

bool close(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && at::allclose(a, b, 2e-5, 2e-5);
}

struct Inputs {
  TempDir dir;
  fs::path texts = dir / "texts.txt";
  fs::path list = dir / "lists" / "images.txt";
  std::vector<int64_t> text_rows{5, 1, 2, 13};  // rows of the fixture's texts.json
  std::vector<int64_t> image_rows{4, 0, 9};     // rows of its "images"
  std::vector<fs::path> images;

  Inputs() {
    const auto fixture = nlohmann::json::parse(hc::test::read_bytes(fixture_model() / "texts.json"));
    std::string lines;
    for (int64_t row : text_rows) lines += fixture["texts"][row].get<std::string>() + "\n";
    hc::test::write_bytes(texts, lines);
    // A relative entry (resolved against the list's folder) and absolute ones.
    fs::copy_file(shared_path("fixtures/preprocess/images/synthetic_tiny_50x30.png"),
                  dir / "tiny.png");
    images = {dir / "tiny.png",
              shared_path("data/hierarcaps/test_imgs/COCO_val2014_000000220764.jpg"),
              shared_path("fixtures/preprocess/images/synthetic_scale_285x190.png")};
    hc::test::write_bytes(list, "../tiny.png\n" + images[1].string() + "\n\n" +
                                    images[2].string() + "\n");
  }
};

}  // namespace

TEST_CASE("hc embed writes text and image embeddings in input order with a sidecar", "[cli]") {
  Inputs inputs;
  TempDir cache;
  const fs::path out = inputs.dir / "out" / "embeds.safetensors";
  fs::create_directories(out.parent_path());
  const auto result = embed(cache.path(), "--model " + quoted(fixture_model()) + " --texts " +
                                              quoted(inputs.texts) + " --images " +
                                              quoted(inputs.list) + " --batch-size 2 -o " +
                                              quoted(out));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);

  const at::Tensor texts = read_tensor(out, "text_embeds");
  const at::Tensor images = read_tensor(out, "image_embeds");
  CHECK(texts.sizes() == at::IntArrayRef({4, 32}));
  CHECK(images.sizes() == at::IntArrayRef({3, 32}));
  CHECK(close(texts, unit(expected("text_embeds"))
                         .index_select(0, at::tensor(inputs.text_rows, at::kLong))));
  CHECK(close(images, unit(expected("image_embeds"))
                          .index_select(0, at::tensor(inputs.image_rows, at::kLong))));

  const fs::path sidecar = inputs.dir / "out" / "embeds.json";
  REQUIRE(fs::exists(sidecar));
  const auto json = nlohmann::json::parse(hc::test::read_bytes(sidecar));
  CHECK(json["model"]["name"] == "tiny-quickgelu");
  CHECK(json["model"]["sha256"].get<std::string>().size() == 64);
  CHECK(json["settings"]["normalised"] == true);
  CHECK(json["settings"]["batch_size"] == 2);
  CHECK(json["inputs"]["text_embeds"]["texts"].size() == 4);
  CHECK(json["inputs"]["text_embeds"]["texts"][0] ==
        "A blue bird sitting on the top of a branch with autumn leaves");
  std::vector<std::string> paths = json["inputs"]["image_embeds"]["paths"];
  REQUIRE(paths.size() == 3);
  CHECK(fs::equivalent(paths[0], inputs.images[0]));
  CHECK(fs::equivalent(paths[1], inputs.images[1]));
  CHECK(fs::equivalent(paths[2], inputs.images[2]));
  CHECK(json["embedding"]["texts_computed"] == 4);

  // The second run answers from the cache.
  const fs::path again = inputs.dir / "again.safetensors";
  REQUIRE(embed(cache.path(), "--model " + quoted(fixture_model()) + " --texts " +
                                  quoted(inputs.texts) + " --images " + quoted(inputs.list) +
                                  " -o " + quoted(again))
              .exit_code == 0);
  const auto second = nlohmann::json::parse(hc::test::read_bytes(inputs.dir / "again.json"));
  CHECK(second["embedding"]["text_forward_calls"] == 0);
  CHECK(second["embedding"]["image_forward_calls"] == 0);
  CHECK(torch::equal(read_tensor(again, "text_embeds"), texts));
  CHECK(torch::equal(read_tensor(again, "image_embeds"), images));
}

TEST_CASE("hc embed --raw --no-cache: raw embeddings and no cache written", "[cli]") {
  Inputs inputs;
  TempDir cache;
  const fs::path out = inputs.dir / "raw.safetensors";
  const auto result = embed(cache.path(), "--model " + quoted(fixture_model()) + " --texts " +
                                              quoted(inputs.texts) + " --raw --no-cache -o " +
                                              quoted(out));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(close(read_tensor(out, "text_embeds"),
              expected("text_embeds").index_select(0, at::tensor(inputs.text_rows, at::kLong))));
  auto file = hc::SafetensorsFile::open(out);
  CHECK_FALSE(file->contains("image_embeds"));
  CHECK_FALSE(fs::exists(cache / "embeddings"));  // (weight fingerprints may be memoised there)
}

TEST_CASE("hc embed takes an OpenCLIP weights file with its config or --arch", "[cli]") {
  Inputs inputs;
  TempDir cache;
  const fs::path weights = inputs.dir / "weights" / "open_clip_model.safetensors";
  fs::create_directories(weights.parent_path());
  fs::copy_file(fixture_model() / "open_clip_model.safetensors", weights);
  const std::string common = " --vocab " + quoted(fixture_model()) + " --texts " +
                             quoted(inputs.texts) + " --no-cache -o ";
  // No open_clip_config.json beside it: the architecture must be named.
  const auto missing = embed(cache.path(), "--model " + quoted(weights) + common +
                                               quoted(inputs.dir / "a.safetensors"));
  CHECK(missing.exit_code != 0);
  const auto with_arch = embed(cache.path(), "--model " + quoted(weights) + " --arch tiny" +
                                                 common + quoted(inputs.dir / "b.safetensors"));
  INFO(with_arch.err);
  REQUIRE(with_arch.exit_code == 0);
  CHECK(close(read_tensor(inputs.dir / "b.safetensors", "text_embeds"),
              unit(expected("text_embeds"))
                  .index_select(0, at::tensor(inputs.text_rows, at::kLong))));
}

TEST_CASE("hc embed: a bad image fails naming it and leaves no output", "[cli]") {
  Inputs inputs;
  TempDir cache;
  const fs::path bad = inputs.dir / "lists" / "broken.jpg";
  hc::test::write_bytes(bad, "this is not a JPEG\n");
  hc::test::write_bytes(inputs.list, inputs.images[1].string() + "\nbroken.jpg\n");
  const fs::path out = inputs.dir / "out.safetensors";
  const auto result = embed(cache.path(), "--model " + quoted(fixture_model()) + " --texts " +
                                              quoted(inputs.texts) + " --images " +
                                              quoted(inputs.list) + " -o " + quoted(out));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Contains("broken.jpg"));
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(inputs.dir / "out.json"));
  for (const auto& entry : fs::directory_iterator(inputs.dir.path())) {
    CHECK(entry.path().filename().string().find("out") == std::string::npos);
  }

  // A listed file that does not exist: the list and its line.
  hc::test::write_bytes(inputs.list, inputs.images[1].string() + "\nmissing.png\n");
  const auto missing = embed(cache.path(), "--model " + quoted(fixture_model()) + " --images " +
                                               quoted(inputs.list) + " -o " + quoted(out));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("images.txt:2"));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("hc embed: a model of the wrong type and usage errors", "[cli]") {
  Inputs inputs;
  TempDir cache;
  const fs::path bert = inputs.dir / "bert";
  fs::create_directories(bert);
  hc::test::write_bytes(bert / "config.json", R"({"model_type": "bert", "hidden_size": 64})");
  for (const char* file : {"model.safetensors", "vocab.json", "merges.txt"}) {
    fs::copy_file(fixture_model() / file, bert / file);
  }
  const fs::path out = inputs.dir / "out.safetensors";
  const auto wrong = embed(cache.path(), "--model " + quoted(bert) + " --texts " +
                                             quoted(inputs.texts) + " -o " + quoted(out));
  CHECK(wrong.exit_code != 0);
  CHECK_THAT(wrong.err, Contains("bert") && Contains("not a CLIP model"));
  CHECK_FALSE(fs::exists(out));

  const std::string model = "--model " + quoted(fixture_model());
  CHECK(embed(cache.path(), model + " -o " + quoted(out)).exit_code == 2);  // nothing to embed
  CHECK(embed(cache.path(), model + " --texts " + quoted(inputs.texts)).exit_code == 2);
  CHECK(embed(cache.path(), model + " --texts " + quoted(inputs.texts) + " --batch-size 0 -o " +
                                quoted(out))
            .exit_code == 2);
  CHECK(embed(cache.path(), "--texts " + quoted(inputs.texts) + " -o " + quoted(out)).exit_code ==
        2);  // no --model
}

TEST_CASE("hc embed --stream: one JSON line per stdin line, errors in place, exit status",
          "[cli]") {
  Inputs inputs;
  TempDir cache;
  const fs::path requests = inputs.dir / "requests.jsonl";
  const std::string model = "--model " + quoted(fixture_model());
  // In a subshell: run_command gives the command line /dev/null as stdin, the inner one wins.
  auto stream = [&](const std::string& arguments) {
    return hc::test::run_command("(HC_CACHE_DIR=" + quoted(cache.path()) + " " +
                                 hc::test::binary("hc") + " embed --threads 2 --stream " + model +
                                 " " + arguments + " <" + quoted(requests) + ")");
  };
  const auto texts = nlohmann::json::parse(hc::test::read_bytes(fixture_model() / "texts.json"));
  hc::test::write_bytes(
      requests, nlohmann::json{{"id", "t"}, {"text", texts["texts"][5]}}.dump() + "\n" +
                    nlohmann::json{{"image", inputs.images[1].string()}}.dump() + "\n" +
                    nlohmann::json{{"id", 3}, {"image", (inputs.dir / "gone.png").string()}}.dump() +
                    "\n" + texts["texts"][1].get<std::string>() + "\n");
  const auto result = stream("");
  INFO(result.err);
  CHECK(result.exit_code == 1);  // a request failed; the others were answered
  CHECK_THAT(result.err, Contains("answered 4 requests") && Contains("1 failed") &&
                             Contains("line 3"));
  std::vector<nlohmann::json> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["id"] == "t");
  CHECK(lines[1]["id"] == 2);
  CHECK(lines[1]["kind"] == "image");
  CHECK_THAT(lines[2]["error"].get<std::string>(), Contains("line 3: ") && Contains("gone.png"));
  CHECK(lines[3]["kind"] == "text");
  auto row = [&](std::size_t line) {
    return at::tensor(lines[line]["embedding"].get<std::vector<float>>(), at::kFloat);
  };
  CHECK(close(row(0).unsqueeze(0), unit(expected("text_embeds")).slice(0, 5, 6)));
  CHECK(close(row(1).unsqueeze(0), unit(expected("image_embeds")).slice(0, 0, 1)));
  CHECK(close(row(3).unsqueeze(0), unit(expected("text_embeds")).slice(0, 1, 2)));

  // Empty input: nothing on stdout, exit 0.
  hc::test::write_bytes(requests, "");
  const auto empty = stream("--no-cache");
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.empty());
  CHECK_THAT(empty.err, Contains("answered 0 requests"));

  // Inputs and outputs belong to stdin and stdout.
  CHECK(stream("--texts " + quoted(inputs.texts)).exit_code == 2);
  CHECK(stream("-o " + quoted(inputs.dir / "x.safetensors")).exit_code == 2);
}
