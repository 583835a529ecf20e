#include <catch2/catch.hpp>

#include "hc/core/error.h"
#include "hc/hub/hf_cache.h"
#include "scoped_env.h"
#include "test_support.h"

namespace fs = std::filesystem;
using hc::hub::hf_hub_cache_dir;

namespace {

// Clears every variable that picks the cache, so the machine's own settings never leak in.
void clear_cache_env(hc::test::ScopedEnv& env, const fs::path& home) {
  env.unset("HF_HUB_CACHE").unset("HUGGINGFACE_HUB_CACHE").unset("HF_HOME").unset("XDG_CACHE_HOME");
  env.set("HOME", home.string());
}

}  // namespace

TEST_CASE("the hub cache folder follows huggingface_hub's precedence") {
  hc::test::ScopedEnv env;
  clear_cache_env(env, "/home/someone");

  SECTION("~/.cache/huggingface/hub by default") {
    REQUIRE(hf_hub_cache_dir() == fs::path("/home/someone/.cache/huggingface/hub"));
  }
  SECTION("XDG_CACHE_HOME moves the default") {
    env.set("XDG_CACHE_HOME", "/xdg");
    REQUIRE(hf_hub_cache_dir() == fs::path("/xdg/huggingface/hub"));
  }
  SECTION("HF_HOME wins over XDG_CACHE_HOME") {
    env.set("XDG_CACHE_HOME", "/xdg").set("HF_HOME", "/hf-home");
    REQUIRE(hf_hub_cache_dir() == fs::path("/hf-home/hub"));
  }
  SECTION("HUGGINGFACE_HUB_CACHE wins over HF_HOME") {
    env.set("HF_HOME", "/hf-home").set("HUGGINGFACE_HUB_CACHE", "/legacy");
    REQUIRE(hf_hub_cache_dir() == fs::path("/legacy"));
  }
  SECTION("HF_HUB_CACHE wins over everything") {
    env.set("HF_HOME", "/hf-home").set("HUGGINGFACE_HUB_CACHE", "/legacy").set("HF_HUB_CACHE", "/hub");
    REQUIRE(hf_hub_cache_dir() == fs::path("/hub"));
  }
  SECTION("an empty variable counts as unset") {
    env.set("HF_HUB_CACHE", "").set("HF_HOME", "/hf-home");
    REQUIRE(hf_hub_cache_dir() == fs::path("/hf-home/hub"));
  }
  SECTION("a leading ~ is expanded") {
    env.set("HF_HOME", "~/models");
    REQUIRE(hf_hub_cache_dir() == fs::path("/home/someone/models/hub"));
  }
}

TEST_CASE("hub ids are parsed with an optional revision") {
  auto id = hc::hub::parse_hub_id("openai/clip-vit-base-patch32");
  REQUIRE(id.repo_id == "openai/clip-vit-base-patch32");
  REQUIRE(id.revision == "main");
  REQUIRE_FALSE(id.revision_given);

  id = hc::hub::parse_hub_id("laion/CLIP-ViT-B-32-laion2B-s34B-b79K@v1.0");
  REQUIRE(id.repo_id == "laion/CLIP-ViT-B-32-laion2B-s34B-b79K");
  REQUIRE(id.revision == "v1.0");
  REQUIRE(id.revision_given);

  REQUIRE(hc::hub::parse_hub_id("gpt2").repo_id == "gpt2");
  REQUIRE(hc::hub::parse_hub_id("org/name@refs/pr/1").revision == "refs/pr/1");
}

TEST_CASE("malformed hub ids and revisions are usage errors") {
  for (const char* bad : {"org/", "/name", "a/b/c", "org/na me", "org--x/name", "org/a..b",
                          "-org/name", "org/name.", "org/name@", "org/name@../../x", ""}) {
    CAPTURE(bad);
    try {
      hc::hub::parse_hub_id(bad);
      FAIL("accepted " << bad);
    } catch (const hc::Error& e) {
      REQUIRE(e.kind() == hc::Error::Kind::Usage);
    }
  }
  REQUIRE_FALSE(hc::hub::is_valid_repo_id(std::string(97, 'a')));
}

TEST_CASE("commit hashes and repo folder names") {
  REQUIRE(hc::hub::is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
  REQUIRE_FALSE(hc::hub::is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));
  REQUIRE_FALSE(hc::hub::is_commit_hash("main"));
  REQUIRE_FALSE(hc::hub::is_commit_hash("0123456789abcdef"));
  REQUIRE(hc::hub::repo_folder_name("openai/clip-vit-base-patch32") ==
          "models--openai--clip-vit-base-patch32");
  REQUIRE(hc::hub::repo_folder_name("gpt2") == "models--gpt2");
}

TEST_CASE("a cached snapshot is found through refs or by its commit") {
  hc::test::TempDir cache;
  const std::string commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  fs::path repo = cache / "models--org--name";
  hc::test::write_bytes(repo / "refs" / "main", commit + "\n");
  fs::create_directories(repo / "snapshots" / commit);

  auto found = hc::hub::find_cached_snapshot(cache.path(), hc::hub::parse_hub_id("org/name"));
  REQUIRE(found);
  REQUIRE(found->commit == commit);
  REQUIRE(found->path == repo / "snapshots" / commit);

  REQUIRE(hc::hub::find_cached_snapshot(cache.path(), hc::hub::parse_hub_id("org/name@" + commit)));
  REQUIRE_FALSE(hc::hub::find_cached_snapshot(cache.path(), hc::hub::parse_hub_id("org/name@dev")));
  REQUIRE_FALSE(hc::hub::find_cached_snapshot(cache.path(), hc::hub::parse_hub_id("org/other")));
  REQUIRE_FALSE(hc::hub::find_cached_snapshot(
      cache.path(), hc::hub::parse_hub_id("org/name@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")));
}
