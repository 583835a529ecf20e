// hc embed --stream's library side: one request line in, one JSON line out, the same values as
// the batch path, ids and order kept, bad requests answered in place.
#include "embed_test_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <sstream>

#include "hc/embed/embed_stream.h"
#include "hc/embed/embedding_engine.h"

namespace {
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using nlohmann::json;

struct Served {
  hc::EmbedStreamSummary summary;
  std::vector<json> lines;
};

// Serves the requests (a file's bytes) through a real file descriptor, as stdin would be.
Served serve(hc::EmbeddingEngine& engine, const std::string& requests) {
  hc::test::TempDir dir;
  const fs::path file = dir / "requests";
  hc::test::write_bytes(file, requests);
  const int fd = ::open(file.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  std::ostringstream out;
  Served served;
  served.summary = hc::serve_embed_stream(engine, fd, out);
  ::close(fd);
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) served.lines.push_back(json::parse(line));
  return served;
}

at::Tensor embedding_of(const json& response) {
  return at::tensor(response.at("embedding").get<std::vector<float>>(), at::kFloat);
}

std::string text_request(const json& id, const std::string& text) {
  return json{{"id", id}, {"text", text}}.dump() + "\n";
}

std::string image_request(const json& id, const fs::path& path) {
  return json{{"id", id}, {"image", path.string()}}.dump() + "\n";
}

}  // namespace

TEST_CASE("embed stream: each answer is the batch path's row, ids and order kept", "[embed]") {
  const auto texts = hc::test::fixture_texts();
  const auto images = hc::test::fixture_images();
  REQUIRE(texts.size() >= 3);
  REQUIRE(images.size() >= 2);
  const bool raw = GENERATE(false, true);
  hc::ClipBundle bundle = hc::test::fixture_bundle();
  hc::EmbedOptions options = hc::test::test_options(4);
  options.normalise = !raw;
  hc::EmbeddingEngine engine(bundle, options);

  // Texts and images interleaved; ids of several JSON types; a bare line is a text.
  const std::string requests = text_request("a", texts[2]) + image_request(7, images[1]) +
                               texts[0] + "\r\n" + image_request(json::array({1, 2}), images[0]) +
                               text_request(nullptr, texts[1]);
  const Served served = serve(engine, requests);
  CHECK(served.summary.requests == 5);
  CHECK(served.summary.failed == 0);
  CHECK_FALSE(served.summary.stopped);
  REQUIRE(served.lines.size() == 5);
  CHECK(served.lines[0]["id"] == "a");
  CHECK(served.lines[1]["id"] == 7);
  CHECK(served.lines[2]["id"] == 3);  // no id: the line number
  CHECK(served.lines[3]["id"] == json::array({1, 2}));
  CHECK(served.lines[4]["id"].is_null());
  const std::vector<std::string> kinds{"text", "image", "text", "image", "text"};
  for (std::size_t i = 0; i < kinds.size(); ++i) CHECK(served.lines[i]["kind"] == kinds[i]);

  // Bit for bit the batch path's answer for that one input (the printed floats read back
  // exactly), and the batch of all of them to float tolerance (other batch shapes).
  const std::vector<std::string> stream_texts{texts[2], texts[0], texts[1]};
  const std::vector<std::size_t> text_lines{0, 2, 4};
  const at::Tensor batch_texts = engine.embed_texts(stream_texts);
  for (std::size_t i = 0; i < stream_texts.size(); ++i) {
    const at::Tensor streamed = embedding_of(served.lines[text_lines[i]]);
    CHECK(torch::equal(streamed, engine.embed_texts({stream_texts[i]})[0]));
    CHECK(at::allclose(streamed, batch_texts[static_cast<int64_t>(i)], 1e-5, 1e-6));
  }
  const std::vector<fs::path> stream_images{images[1], images[0]};
  const at::Tensor batch_images = engine.embed_images(stream_images);
  for (std::size_t i = 0; i < stream_images.size(); ++i) {
    const at::Tensor streamed = embedding_of(served.lines[1 + 2 * i]);
    CHECK(torch::equal(streamed, engine.embed_images({stream_images[i]})[0]));
    CHECK(at::allclose(streamed, batch_images[static_cast<int64_t>(i)], 1e-5, 1e-6));
  }
  const double norm = embedding_of(served.lines[0]).norm().item<double>();
  if (raw) {
    CHECK(std::abs(norm - 1.0) > 1e-3);
  } else {
    CHECK(norm == Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("embed stream: a bad request is answered with an error line and the stream goes on",
          "[embed]") {
  const auto texts = hc::test::fixture_texts();
  hc::test::TempDir dir;
  const fs::path not_an_image = dir / "notes.png";
  hc::test::write_bytes(not_an_image, "these are not pixels");
  hc::ClipBundle bundle = hc::test::fixture_bundle();
  hc::EmbeddingEngine engine(bundle, hc::test::test_options(4));

  const std::string requests = image_request("gone", dir / "missing.jpg") +  // 1
                               text_request(2, texts[0]) +                    // 2
                               "{\"text\": \"unfinished\"\n" +                // 3
                               image_request("bytes", not_an_image) +         // 4
                               "{\"id\": 5, \"text\": \"a\", \"image\": \"b\"}\n" +  // 5
                               "{\"id\": 6, \"caption\": \"a\"}\n" +          // 6
                               "{\"id\": 7, \"text\": 3}\n" +                 // 7
                               text_request(8, texts[1]);                     // 8
  const Served served = serve(engine, requests);
  CHECK(served.summary.requests == 8);
  CHECK(served.summary.failed == 6);
  CHECK(served.summary.first_failed_line == 1);
  REQUIRE(served.lines.size() == 8);
  const std::vector<json> ids{"gone", 2, 3, "bytes", 5, 6, 7, 8};
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(served.lines[i]["id"] == ids[i]);
  for (std::size_t i : {0, 2, 3, 4, 5, 6}) {
    INFO(served.lines[i].dump());
    REQUIRE(served.lines[i].contains("error"));
    CHECK_FALSE(served.lines[i].contains("embedding"));
    CHECK_THAT(served.lines[i]["error"].get<std::string>(),
               Catch::Matchers::StartsWith("line " + std::to_string(i + 1) + ": "));
  }
  CHECK_THAT(served.lines[0]["error"].get<std::string>(), Contains("missing.jpg"));
  CHECK_THAT(served.lines[3]["error"].get<std::string>(), Contains("notes.png"));
  CHECK_THAT(served.lines[5]["error"].get<std::string>(), Contains("caption"));
  for (std::size_t i : {1, 7}) {
    CHECK(served.lines[i]["kind"] == "text");
    CHECK(torch::equal(embedding_of(served.lines[i]),
                       engine.embed_texts({texts[i == 1 ? 0 : 1]})[0]));
  }
}

TEST_CASE("embed stream: empty input answers nothing", "[embed]") {
  hc::ClipBundle bundle = hc::test::fixture_bundle();
  hc::EmbeddingEngine engine(bundle, hc::test::test_options(4));
  const Served served = serve(engine, "");
  CHECK(served.summary.requests == 0);
  CHECK(served.summary.failed == 0);
  CHECK(served.lines.empty());
  CHECK(engine.stats().text_forward_calls == 0);
}

TEST_CASE("embed stream: a repeat is a cache lookup, with the values the batch path cached",
          "[embed]") {
  const auto texts = hc::test::fixture_texts();
  const auto images = hc::test::fixture_images();
  hc::test::TempDir cache;
  hc::ClipBundle bundle = hc::test::fixture_bundle();
  at::Tensor batch_text, batch_image;
  {
    hc::EmbeddingEngine batch(bundle, hc::test::test_options(4, cache.path()));
    batch_text = batch.embed_texts({texts[0]})[0];
    batch_image = batch.embed_images({images[0]})[0];
  }
  hc::EmbeddingEngine engine(bundle, hc::test::test_options(4, cache.path()));
  const Served served = serve(engine, text_request(1, texts[0]) + image_request(2, images[0]) +
                                          text_request(3, texts[1]) + text_request(4, texts[1]));
  REQUIRE(served.lines.size() == 4);
  CHECK(torch::equal(embedding_of(served.lines[0]), batch_text));
  CHECK(torch::equal(embedding_of(served.lines[1]), batch_image));
  CHECK(torch::equal(embedding_of(served.lines[2]), embedding_of(served.lines[3])));
  const hc::EmbedStats& stats = engine.stats();
  CHECK(stats.texts_from_cache == 2);  // the batch run's text, and the stream's own repeat
  CHECK(stats.images_from_cache == 1);
  CHECK(stats.texts_computed == 1);
  CHECK(stats.text_forward_calls == 1);
  CHECK(stats.image_forward_calls == 0);
}
