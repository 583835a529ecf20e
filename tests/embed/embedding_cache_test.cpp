// The on-disk embedding cache through the engine: hits compute nothing, partial hits compute
// only new inputs, damaged shards cost only their damaged records, the key follows the model
// and settings, and array-job shares fill it.
#include "embed_test_util.h"

#include <set>

#include "hc/core/error.h"
#include "hc/embed/cache_key_folder.h"
#include "hc/embed/embedding_cache.h"
#include "hc/embed/embedding_engine.h"
#include "hc/embed/shard_spec.h"
#include "hc/io/safetensors.h"
#include "scoped_env.h"

namespace {
namespace fs = std::filesystem;
using namespace hc::test;

std::vector<std::string> first(const std::vector<std::string>& texts, std::size_t n) {
  return {texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::size_t distinct_count(const std::vector<std::string>& texts) {
  return std::set<std::string>(texts.begin(), texts.end()).size();
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
  CHECK(fs::is_directory(cold.cache_folder("text")));
  CHECK(fs::is_directory(cold.cache_folder("image")));
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

TEST_CASE("Damaged shards cost only their damaged records, and the gaps are filled again",
          "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle bundle = fixture_bundle();
  const std::vector<std::string> texts = fixture_texts();
  fs::path folder;
  {
    hc::EmbeddingEngine engine(bundle, test_options(8, cache.path()));
    engine.embed_texts(texts);
    folder = engine.cache_folder("text");
  }
  const std::vector<fs::path> shards = hc::list_shard_files(folder);
  REQUIRE(shards.size() == 1);
  const fs::path shard = shards[0];
  const std::string good = read_bytes(shard);
  const int64_t record = hc::shard_record_bytes(bundle.model->config().projection_dim);
  const std::size_t distinct = distinct_count(texts);
  REQUIRE(static_cast<int64_t>(good.size()) ==
          hc::kShardHeaderBytes + record * static_cast<int64_t>(distinct));

  struct Damage {
    std::string name;
    std::string bytes;
    std::size_t kept;  // records still readable
  };
  std::string flipped = good;
  flipped[hc::kShardHeaderBytes + record + 40] ^= 0x10;  // a value of the second record
  const std::vector<Damage> damages = {
      {"cut in the middle of a record", good.substr(0, hc::kShardHeaderBytes + record * 3 + 7), 3},
      {"a flipped bit", flipped, distinct - 1},
      {"garbage", "garbage", 0},
      {"zeros", std::string(good.size(), '\0'), 0},
  };
  for (const Damage& damage : damages) {
    SECTION(damage.name) {
      write_bytes(shard, damage.bytes);
      hc::EmbeddingEngine rebuilt(bundle, test_options(8, cache.path()));
      CHECK(close(rebuilt.embed_texts(texts), unit(expected_tensor("text_embeds"))));
      CHECK(rebuilt.stats().texts_from_cache == damage.kept);
      CHECK(rebuilt.stats().texts_computed == distinct - damage.kept);
    }
  }
  hc::EmbeddingEngine again(bundle, test_options(8, cache.path()));
  CHECK(close(again.embed_texts(texts), unit(expected_tensor("text_embeds"))));
  CHECK(again.stats().text_forward_calls == 0);
}

TEST_CASE("The cache key follows the model, dtype and kind; --no-cache touches nothing",
          "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle quick = fixture_bundle("tiny-quickgelu");
  hc::ClipBundle bf16 = fixture_bundle("tiny-quickgelu", at::kBFloat16);
  hc::EmbeddingEngine a(quick, test_options(8, cache.path()));
  hc::EmbeddingEngine b(bf16, test_options(8, cache.path()));
  CHECK(a.cache_folder("text") != b.cache_folder("text"));
  CHECK(a.cache_folder("text") != a.cache_folder("image"));
  const auto settings = nlohmann::json::parse(a.cache_settings("text"));
  CHECK(settings["weights_sha256"] == "fixture-tiny-quickgelu");
  CHECK(settings["device"] == "cpu");
  CHECK(settings["dtype"] == "fp32");

  hc::ClipBundle renamed = fixture_bundle();
  renamed.identity.weights_sha256 = "other-weights";
  hc::EmbeddingEngine c(renamed, test_options(8, cache.path()));
  CHECK(a.cache_folder("text") != c.cache_folder("text"));

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

TEST_CASE("Shards of an array job fill the cache; the final run computes nothing",
          "[embed][cache]") {
  TempDir cache;
  hc::ClipBundle bundle = fixture_bundle();
  std::vector<std::string> texts = fixture_texts();
  texts.push_back(texts[3]);  // a repeat: computed once, by the shard of its first appearance
  const auto images = fixture_images();
  const int count = 3;
  std::size_t texts_in_shards = 0;
  std::size_t computed = 0;
  for (int i = 0; i < count; ++i) {
    hc::EmbeddingEngine task(bundle, test_options(4, cache.path()));
    texts_in_shards += task.fill_cache_texts(texts, hc::parse_shard(std::to_string(i) + "/3"));
    task.fill_cache_images(images, hc::ShardSpec{i, count});
    computed += task.stats().texts_computed;
    CHECK(task.stats().texts_from_cache == 0);  // the shares do not overlap
  }
  CHECK(texts_in_shards == distinct_count(texts));
  CHECK(computed == distinct_count(texts));

  hc::EmbeddingEngine final_run(bundle, test_options(4, cache.path()));
  const at::Tensor all = final_run.embed_texts(texts);
  CHECK(close(all.slice(0, 0, -1), unit(expected_tensor("text_embeds"))));
  CHECK(torch::equal(all[-1], all[3]));
  CHECK(close(final_run.embed_images(images), unit(expected_tensor("image_embeds"))));
  CHECK(final_run.stats().text_forward_calls == 0);
  CHECK(final_run.stats().image_forward_calls == 0);

  // More shards than inputs: the extra ones are empty, not an error.
  hc::EmbeddingEngine extra(bundle, test_options(4, cache.path()));
  CHECK(extra.fill_cache_texts({"one text"}, hc::ShardSpec{5, 8}) == 0);
  CHECK(extra.stats().texts_computed == 0);

  hc::EmbeddingEngine off(bundle, test_options(4));
  CHECK_THROWS_AS(off.fill_cache_texts(texts, hc::ShardSpec{0, 2}), hc::Error);
}

TEST_CASE("EmbeddingCache keeps entries from another writer", "[embed][cache]") {
  TempDir dir;
  const std::string settings = R"({"kind":"text"})";
  hc::EmbeddingCache one(dir.path(), "text", settings, 2);
  hc::EmbeddingCache two(dir.path(), "text", settings, 2);
  CHECK(one.lookup({hc::text_digest("x")}) == std::vector<int64_t>{-1});
  CHECK(two.lookup({hc::text_digest("y")}) == std::vector<int64_t>{-1});
  one.add({hc::text_digest("x")}, torch::tensor({{1.0f, 2.0f}}));
  two.add({hc::text_digest("y")}, torch::tensor({{3.0f, 4.0f}}));
  // Each writer has a shard of its own, visible to readers at once (before either closes).
  CHECK(hc::list_shard_files(one.folder()).size() == 2);

  hc::EmbeddingCache three(dir.path(), "text", settings, 2);
  const auto rows = three.lookup({hc::text_digest("y"), hc::text_digest("x")});
  REQUIRE(rows[0] >= 0);
  REQUIRE(rows[1] >= 0);
  CHECK(torch::equal(three.rows(rows), torch::tensor({{3.0f, 4.0f}, {1.0f, 2.0f}})));
  // The first writer sees the second's entry too, without reopening.
  CHECK(one.lookup({hc::text_digest("y")})[0] >= 0);
  // Other settings: another key.
  hc::EmbeddingCache other(dir.path(), "text", R"({"kind":"text","dtype":"bf16"})", 2);
  CHECK(other.folder() != three.folder());
  CHECK(other.lookup({hc::text_digest("x")}) == std::vector<int64_t>{-1});
}
