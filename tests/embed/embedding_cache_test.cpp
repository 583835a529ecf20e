// The on-disk embedding cache: hits compute nothing, partial hits compute only new inputs,
// corrupt files are rebuilt, and the key follows the model and settings.
#include "embed_test_util.h"

#include "hc/embed/embedding_cache.h"
#include "hc/embed/embedding_engine.h"
#include "hc/io/safetensors.h"
#include "scoped_env.h"

namespace {
namespace fs = std::filesystem;
using namespace hc::test;

std::vector<std::string> first(const std::vector<std::string>& texts, std::size_t n) {
  return {texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

TEST_CASE("A second run with the same model answers from the cache", "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle bundle = fixture_bundle();
  const std::vector<std::string> texts = fixture_texts();
  const auto images = fixture_images();

  hc::EmbeddingEngine cold(bundle, test_options(5, cache.path()));
  const at::Tensor texts_cold = cold.embed_texts(texts);
  const at::Tensor images_cold = cold.embed_images(images);
  CHECK(cold.stats().texts_computed == texts.size());
  CHECK(cold.stats().images_computed == images.size());
  CHECK(fs::exists(cold.cache_file("text")));
  CHECK(fs::exists(cold.cache_file("image")));
  CHECK(close(texts_cold, unit(expected_tensor("text_embeds"))));

  hc::EmbeddingEngine warm(bundle, test_options(5, cache.path()));
  CHECK(torch::equal(warm.embed_texts(texts), texts_cold));
  CHECK(torch::equal(warm.embed_images(images), images_cold));
  CHECK(warm.stats().text_forward_calls == 0);
  CHECK(warm.stats().image_forward_calls == 0);
  CHECK(warm.stats().texts_computed == 0);
  CHECK(warm.stats().texts_from_cache == texts.size());
  CHECK(warm.stats().images_from_cache == images.size());

  // Raw and normalised runs share the cache: it keeps raw rows.
  hc::EmbedOptions raw_options = test_options(5, cache.path());
  raw_options.normalise = false;
  hc::EmbeddingEngine raw(bundle, raw_options);
  CHECK(close(raw.embed_texts(texts), expected_tensor("text_embeds")));
  CHECK(raw.stats().text_forward_calls == 0);
}

TEST_CASE("A partial hit computes only the new inputs", "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle bundle = fixture_bundle();
  const std::vector<std::string> texts = fixture_texts();
  const auto images = fixture_images();
  const at::Tensor expected = unit(expected_tensor("text_embeds"));

  hc::EmbeddingEngine one(bundle, test_options(4, cache.path()));
  one.embed_texts(first(texts, 10));
  one.embed_images({images.begin(), images.begin() + 4});

  hc::EmbeddingEngine two(bundle, test_options(4, cache.path()));
  const at::Tensor all = two.embed_texts(texts);
  CHECK(close(all, expected));
  CHECK(two.stats().texts_from_cache == 10);
  CHECK(two.stats().texts_computed == texts.size() - 10);
  CHECK(two.stats().text_forward_calls == (texts.size() - 10 + 3) / 4);
  CHECK(close(two.embed_images(images), unit(expected_tensor("image_embeds"))));
  CHECK(two.stats().images_computed == 6);

  // A copy of an image under another name has the same bytes: a hit.
  TempDir elsewhere;
  fs::copy_file(images[7], elsewhere / "renamed.jpg");
  hc::EmbeddingEngine three(bundle, test_options(4, cache.path()));
  three.embed_images({elsewhere / "renamed.jpg"});
  CHECK(three.stats().images_from_cache == 1);
  CHECK(three.stats().image_forward_calls == 0);
}

TEST_CASE("A corrupt cache file is ignored, rebuilt and used again", "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle bundle = fixture_bundle();
  const std::vector<std::string> texts = fixture_texts();
  fs::path file;
  {
    hc::EmbeddingEngine engine(bundle, test_options(8, cache.path()));
    engine.embed_texts(texts);
    file = engine.cache_file("text");
  }
  const std::string good = read_bytes(file);
  const std::string corruptions[] = {good.substr(0, good.size() / 2), "garbage",
                                     std::string(good.size(), '\0')};
  for (const std::string& bytes : corruptions) {
    write_bytes(file, bytes);
    hc::EmbeddingEngine rebuilt(bundle, test_options(8, cache.path()));
    CHECK(close(rebuilt.embed_texts(texts), unit(expected_tensor("text_embeds"))));
    CHECK(rebuilt.stats().texts_computed == texts.size());
    hc::EmbeddingEngine again(bundle, test_options(8, cache.path()));
    again.embed_texts(texts);
    CHECK(again.stats().text_forward_calls == 0);
  }
}

TEST_CASE("The cache key follows the model, dtype and kind; --no-cache touches nothing",
          "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle quick = fixture_bundle("tiny-quickgelu");
  hc::ClipBundle bf16 = fixture_bundle("tiny-quickgelu", at::kBFloat16);
  hc::EmbeddingEngine a(quick, test_options(8, cache.path()));
  hc::EmbeddingEngine b(bf16, test_options(8, cache.path()));
  CHECK(a.cache_file("text") != b.cache_file("text"));
  CHECK(a.cache_file("text") != a.cache_file("image"));
  CHECK(a.cache_settings("text").find("fixture-tiny-quickgelu") != std::string::npos);

  hc::ClipBundle renamed = fixture_bundle();
  renamed.identity.weights_sha256 = "other-weights";
  hc::EmbeddingEngine c(renamed, test_options(8, cache.path()));
  CHECK(a.cache_file("text") != c.cache_file("text"));

  hc::EmbeddingEngine off(quick, test_options(8));
  off.embed_texts({"a photo of a dog"});
  CHECK_FALSE(off.cache_enabled());
  CHECK(fs::is_empty(cache.path()));

  hc::ClipBundle anonymous = fixture_bundle();
  anonymous.identity.weights_sha256.clear();
  hc::EmbeddingEngine unkeyed(anonymous, test_options(8, cache.path()));
  CHECK_FALSE(unkeyed.cache_enabled());
}

TEST_CASE("The cache folder follows HC_CACHE_DIR and XDG_CACHE_HOME", "[embed][cache]") {
  ScopedEnv env;
  env.set("HC_CACHE_DIR", "/somewhere/hc");
  CHECK(hc::default_embedding_cache_dir() == fs::path("/somewhere/hc/embeddings"));
  env.unset("HC_CACHE_DIR").set("XDG_CACHE_HOME", "/xdg");
  CHECK(hc::default_embedding_cache_dir() == fs::path("/xdg/hc/embeddings"));
}

TEST_CASE("EmbeddingCache keeps entries from another writer", "[embed][cache]") {
  TempDir dir;
  const std::string settings = R"({"kind":"text"})";
  hc::EmbeddingCache one(dir.path(), "text", settings, 2);
  hc::EmbeddingCache two(dir.path(), "text", settings, 2);
  CHECK(one.lookup({hc::text_digest("x")}) == std::vector<int64_t>{-1});
  CHECK(two.lookup({hc::text_digest("y")}) == std::vector<int64_t>{-1});
  one.add({hc::text_digest("x")}, torch::tensor({{1.0f, 2.0f}}));
  two.add({hc::text_digest("y")}, torch::tensor({{3.0f, 4.0f}}));  // merges "x" from disk

  hc::EmbeddingCache three(dir.path(), "text", settings, 2);
  const auto rows = three.lookup({hc::text_digest("y"), hc::text_digest("x")});
  REQUIRE(rows[0] >= 0);
  REQUIRE(rows[1] >= 0);
  CHECK(torch::equal(three.rows(rows), torch::tensor({{3.0f, 4.0f}, {1.0f, 2.0f}})));
  // Other settings: another file.
  hc::EmbeddingCache other(dir.path(), "text", R"({"kind":"text","dtype":"bf16"})", 2);
  CHECK(other.file() != three.file());
  CHECK(other.lookup({hc::text_digest("x")}) == std::vector<int64_t>{-1});
}
