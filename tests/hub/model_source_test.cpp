#include <catch2/catch.hpp>

#include <map>

#include "hc/core/error.h"
#include "hc/hub/model_source.h"
#include "scoped_env.h"
#include "test_support.h"

namespace fs = std::filesystem;
using hc::hub::ModelSource;
using hc::hub::resolve_model_source;
using Catch::Matchers::Contains;

namespace {

const std::string kCommit = "1111111111111111111111111111111111111111";
const std::string kOldCommit = "2222222222222222222222222222222222222222";

// A repo in the cache as huggingface_hub leaves it: blobs named by ETag, snapshot files that are
// relative symlinks into blobs/, and refs holding commit hashes.
fs::path cache_model(const fs::path& cache, const std::string& folder, const std::string& commit,
                     const std::map<std::string, std::string>& files) {
  fs::path repo = cache / folder;
  int blob_number = 0;
  for (const auto& [name, content] : files) {
    std::string etag = commit.substr(0, 8) + "blob" + std::to_string(blob_number++);
    hc::test::write_bytes(repo / "blobs" / etag, content);
    fs::path pointer = repo / "snapshots" / commit / name;
    fs::create_directories(pointer.parent_path());
    fs::create_symlink(fs::path("../../blobs") / etag, pointer);
  }
  fs::create_directories(repo / "snapshots" / commit);
  return repo;
}

std::string error_of(const std::string& spec, const fs::path& cache) {
  try {
    resolve_model_source(spec, cache);
  } catch (const hc::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("an existing folder or file is used as it is") {
  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "model" / "config.json", "{}");
  hc::test::write_bytes(dir / "open_clip_model.safetensors", "x");

  ModelSource folder = resolve_model_source((dir / "model").string(), dir / "no-cache");
  REQUIRE(folder.kind == ModelSource::Kind::Directory);
  REQUIRE(folder.path == dir / "model");

  ModelSource file = resolve_model_source((dir / "open_clip_model.safetensors").string(),
                                          dir / "no-cache");
  REQUIRE(file.kind == ModelSource::Kind::File);
  REQUIRE(file.path == dir / "open_clip_model.safetensors");
}

TEST_CASE("a hub id resolves to its snapshot through refs/main") {
  hc::test::TempDir cache;
  fs::path repo = cache_model(cache.path(), "models--org--clip", kCommit,
                              {{"config.json", "{}"}, {"model.safetensors", "w"}});
  cache_model(cache.path(), "models--org--clip", kOldCommit, {{"config.json", "{\"old\":1}"}});
  hc::test::write_bytes(repo / "refs" / "main", kCommit);
  hc::test::write_bytes(repo / "refs" / "v1", kOldCommit);

  ModelSource source = resolve_model_source("org/clip", cache.path());
  REQUIRE(source.kind == ModelSource::Kind::HubCache);
  REQUIRE(source.path == repo / "snapshots" / kCommit);
  REQUIRE(source.repo_id == "org/clip");
  REQUIRE(source.revision == "main");
  REQUIRE(source.commit == kCommit);
  REQUIRE(hc::test::read_bytes(source.path / "model.safetensors") == "w");

  SECTION("a named revision reads its own ref") {
    REQUIRE(resolve_model_source("org/clip@v1", cache.path()).commit == kOldCommit);
  }
  SECTION("a pull-request revision reads refs/refs/pr/N") {
    hc::test::write_bytes(repo / "refs" / "refs" / "pr" / "1", kOldCommit);
    REQUIRE(resolve_model_source("org/clip@refs/pr/1", cache.path()).commit == kOldCommit);
  }
  SECTION("a commit hash selects the snapshot directly") {
    ModelSource pinned = resolve_model_source("org/clip@" + kOldCommit, cache.path());
    REQUIRE(pinned.path == repo / "snapshots" / kOldCommit);
    REQUIRE(hc::test::read_bytes(pinned.path / "config.json") == "{\"old\":1}");
  }
  SECTION("open_clip_config.json is enough") {
    cache_model(cache.path(), "models--laion--oc", kCommit,
                {{"open_clip_config.json", "{}"}, {"open_clip_model.safetensors", "w"}});
    hc::test::write_bytes(cache / "models--laion--oc" / "refs" / "main", kCommit);
    REQUIRE(resolve_model_source("laion/oc", cache.path()).commit == kCommit);
  }
}

TEST_CASE("the cache comes from HF_HUB_CACHE, else HF_HOME/hub") {
  hc::test::TempDir root;
  fs::path repo = cache_model(root / "home" / "hub", "models--org--clip", kCommit,
                              {{"config.json", "{}"}});
  hc::test::write_bytes(repo / "refs" / "main", kCommit);
  hc::test::ScopedEnv env;
  env.unset("HUGGINGFACE_HUB_CACHE").unset("HF_HUB_CACHE").set("HF_HOME", (root / "home").string());

  REQUIRE(resolve_model_source("org/clip").path == repo / "snapshots" / kCommit);

  env.set("HF_HUB_CACHE", (root / "elsewhere").string());
  REQUIRE_THROWS_WITH(resolve_model_source("org/clip"), Contains((root / "elsewhere").string()));
}

TEST_CASE("a hub id missing from the cache names the place and suggests hc fetch") {
  hc::test::TempDir cache;
  std::string message = error_of("org/absent", cache.path());
  CAPTURE(message);
  REQUIRE_THAT(message, Contains((cache / "models--org--absent").string()));
  REQUIRE_THAT(message, Contains("hc fetch org/absent"));
  REQUIRE(message.find('\n') == std::string::npos);

  fs::path repo = cache_model(cache.path(), "models--org--clip", kCommit, {{"config.json", "{}"}});
  hc::test::write_bytes(repo / "refs" / "main", kCommit);
  message = error_of("org/clip@dev", cache.path());
  REQUIRE_THAT(message, Contains("no snapshot for revision 'dev'"));
  REQUIRE_THAT(message, Contains("hc fetch org/clip@dev"));
}

TEST_CASE("an incomplete snapshot is an error that says to fetch again") {
  hc::test::TempDir cache;
  fs::path repo = cache_model(cache.path(), "models--org--clip", kCommit,
                              {{"config.json", "{}"}, {"model.safetensors", "w"}});
  hc::test::write_bytes(repo / "refs" / "main", kCommit);

  SECTION("no config") {
    fs::remove(repo / "snapshots" / kCommit / "config.json");
    std::string message = error_of("org/clip", cache.path());
    REQUIRE_THAT(message, Contains("no config.json"));
    REQUIRE_THAT(message, Contains("hc fetch org/clip"));
  }
  SECTION("a file whose blob is gone") {
    for (const auto& blob : fs::directory_iterator(repo / "blobs")) {
      if (hc::test::read_bytes(blob.path()) == "w") fs::remove(blob.path());
    }
    std::string message = error_of("org/clip", cache.path());
    REQUIRE_THAT(message, Contains("model.safetensors"));
    REQUIRE_THAT(message, Contains("missing blob"));
  }
}

TEST_CASE("what can only be a path is reported as a missing path") {
  hc::test::TempDir cache;
  for (const char* spec : {"./models/clip", "/no/such/model", "runs/a/b", "weights.safetensors"}) {
    CAPTURE(spec);
    REQUIRE_THAT(error_of(spec, cache.path()), Contains("no such model file or folder"));
  }
}

TEST_CASE("a malformed hub id is a usage error") {
  hc::test::TempDir cache;
  try {
    resolve_model_source("org/na me", cache.path());
    FAIL("accepted a malformed id");
  } catch (const hc::Error& e) {
    REQUIRE(e.kind() == hc::Error::Kind::Usage);
    REQUIRE_THAT(e.what(), Contains("not a hub model id"));
  }
}
