#include <catch2/catch.hpp>

#include "fake_hub.h"
#include "hc/core/error.h"
#include "hc/hub/hub_download.h"
#include "hc/hub/model_source.h"
#include "local_http_server.h"
#include "scoped_env.h"
#include "test_support.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using hc::test::cdn_path;
using hc::test::resolve_path;

namespace {

// A fake hub serving a tiny CLIP model, and an empty cache to fetch it into.
struct HubFixture {
  hc::test::ScopedEnv env;
  hc::test::LocalHttpServer server;
  hc::test::TempDir dir;
  hc::test::FakeModel model = hc::test::tiny_clip_model();
  hc::hub::HubSettings settings;
  hc::hub::FetchOptions options;

  HubFixture() {
    hc::test::bypass_proxies(env);
    settings.endpoint = server.url();
    settings.cache_dir = dir / "hub";
    options.retry_delay_s = 0;
    hc::test::serve_model(server, model);
  }

  fs::path repo() const { return settings.cache_dir / "models--org--clip-tiny"; }
  fs::path snapshot() const { return repo() / "snapshots" / model.commit; }
  fs::path blob(const std::string& file) const {
    return repo() / "blobs" / hc::test::fake_etag(model.files.at(file), model.lfs.count(file) > 0);
  }

  hc::hub::FetchResult fetch() { return hc::hub::fetch_model(model.repo_id, options, settings); }

  std::string fetch_error() {
    try {
      fetch();
    } catch (const hc::Error& e) {
      REQUIRE(std::string(e.what()).find('\n') == std::string::npos);
      return e.what();
    }
    FAIL("the fetch succeeded");
    return "";
  }

  int downloads() const {
    int count = 0;
    for (const auto& request : server.requests()) {
      if (request.method == "GET" && request.path.rfind("/api/", 0) != 0) count++;
    }
    return count;
  }
};

}  // namespace

TEST_CASE_METHOD(HubFixture, "a fetch lays the model out as huggingface_hub does") {
  hc::hub::FetchResult result = fetch();

  REQUIRE(result.commit == model.commit);
  REQUIRE(result.snapshot == snapshot());
  REQUIRE(hc::test::read_bytes(repo() / "refs" / "main") == model.commit);
  for (const auto& [name, content] : model.files) {
    CAPTURE(name);
    fs::path pointer = snapshot() / name;
    REQUIRE(fs::is_symlink(pointer));
    REQUIRE(fs::read_symlink(pointer) == fs::path("../../blobs") / blob(name).filename());
    REQUIRE(hc::test::read_bytes(pointer) == content);
    REQUIRE(hc::test::read_bytes(blob(name)) == content);
  }
  // The weights came from the CDN redirect and are named by X-Linked-Etag, not the hub's ETag.
  REQUIRE(server.count(cdn_path(model, "model.safetensors"), "GET") == 1);
  REQUIRE(blob("model.safetensors").filename().string().size() == 64);
  std::uint64_t total = 0;
  for (const auto& [name, content] : model.files) total += content.size();
  REQUIRE(result.bytes_downloaded == total);
  REQUIRE(result.files.size() == model.files.size());

  // The absent optional file is recorded where huggingface_hub records it, and nothing is left
  // half-done.
  REQUIRE(result.absent == std::vector<std::string>{"special_tokens_map.json"});
  REQUIRE(fs::exists(repo() / ".no_exist" / model.commit / "special_tokens_map.json"));
  REQUIRE_FALSE(fs::exists(snapshot() / "special_tokens_map.json"));
  for (const auto& entry : fs::recursive_directory_iterator(settings.cache_dir)) {
    REQUIRE(entry.path().extension() != ".incomplete");
  }

  // The model resolves from the cache without the network.
  hc::hub::ModelSource source = hc::hub::resolve_model_source("org/clip-tiny", settings.cache_dir);
  REQUIRE(source.path == snapshot());
}

TEST_CASE_METHOD(HubFixture, "a second fetch downloads nothing") {
  fetch();
  server.clear_requests();

  hc::hub::FetchResult again = fetch();
  REQUIRE(again.bytes_downloaded == 0);
  REQUIRE(again.files.size() == model.files.size());
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);  // only the revision, which may have moved
  REQUIRE(requests[0].path == hc::test::api_path(model));

  SECTION("a pinned commit needs no request at all") {
    server.clear_requests();
    options.revision = model.commit;
    fetch();
    REQUIRE(server.requests().empty());
  }
  SECTION("a lost snapshot link is restored from its blob without downloading it again") {
    fs::remove(snapshot() / "model.safetensors");
    server.clear_requests();
    fetch();
    REQUIRE(server.count(resolve_path(model, "model.safetensors"), "HEAD") == 1);
    REQUIRE(downloads() == 0);
    REQUIRE(hc::test::read_bytes(snapshot() / "model.safetensors") ==
            model.files.at("model.safetensors"));
  }
}

TEST_CASE_METHOD(HubFixture, "an interrupted download resumes with a Range request") {
  const std::string& weights = model.files.at("model.safetensors");
  hc::test::HttpRoute cut_route;
  cut_route.body = weights;
  cut_route.cut_after = 120000;
  cut_route.cut_times = 1;
  server.route(cdn_path(model, "model.safetensors"), cut_route);

  SECTION("within the same fetch") {
    fetch();
    auto requests = server.requests();
    std::vector<std::string> ranges;
    for (const auto& request : requests) {
      if (request.path == cdn_path(model, "model.safetensors")) ranges.push_back(request.header("range"));
    }
    REQUIRE(ranges == std::vector<std::string>{"", "bytes=120000-"});
    REQUIRE(hc::test::read_bytes(snapshot() / "model.safetensors") == weights);
  }

  SECTION("in the next run, after the first gave up") {
    options.attempts = 1;
    std::string message = fetch_error();
    REQUIRE_THAT(message, Contains("interrupted"));
    REQUIRE_THAT(message, Contains("run the same command again to resume"));
    // Nothing that looks complete: no snapshot entry, no blob, no ref; only the partial file.
    REQUIRE_FALSE(fs::exists(snapshot() / "model.safetensors"));
    REQUIRE_FALSE(fs::exists(blob("model.safetensors")));
    REQUIRE_FALSE(fs::exists(repo() / "refs" / "main"));
    fs::path partial = blob("model.safetensors");
    partial += ".incomplete";
    REQUIRE(fs::file_size(partial) == 120000);

    server.clear_requests();
    fetch();
    REQUIRE(server.count(cdn_path(model, "model.safetensors"), "GET") == 1);
    bool ranged = false;
    for (const auto& request : server.requests()) {
      if (request.path == cdn_path(model, "model.safetensors")) {
        ranged = request.header("range") == "bytes=120000-";
      }
    }
    REQUIRE(ranged);
    REQUIRE(hc::test::read_bytes(snapshot() / "model.safetensors") == weights);
    REQUIRE_FALSE(fs::exists(partial));
  }
}

TEST_CASE_METHOD(HubFixture, "a large file is downloaded with progress, and resumed") {
  std::string weights(11u << 20, '\0');
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<char>(i * 2654435761u >> 24);
  model.files["model.safetensors"] = weights;
  hc::test::serve_model(server, model);
  hc::test::HttpRoute cut_route;
  cut_route.body = weights;
  cut_route.cut_after = 5u << 20;
  cut_route.cut_times = 1;
  server.route(cdn_path(model, "model.safetensors"), cut_route);

  hc::hub::FetchResult result = fetch();
  REQUIRE(hc::test::read_bytes(snapshot() / "model.safetensors") == weights);
  REQUIRE(server.count(cdn_path(model, "model.safetensors"), "GET") == 2);
  REQUIRE(result.bytes_downloaded >= weights.size());
}

TEST_CASE_METHOD(HubFixture, "sharded weights are fetched through their index") {
  model.files.erase("model.safetensors");
  model.lfs.clear();
  model.files["model.safetensors.index.json"] =
      R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
          "b": "model-00002-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}})";
  model.files["model-00001-of-00002.safetensors"] = "shard one";
  model.files["model-00002-of-00002.safetensors"] = "shard two";
  hc::test::serve_model(server, model);

  fetch();
  REQUIRE(hc::test::read_bytes(snapshot() / "model-00001-of-00002.safetensors") == "shard one");
  REQUIRE(hc::test::read_bytes(snapshot() / "model-00002-of-00002.safetensors") == "shard two");
}

TEST_CASE_METHOD(HubFixture, "without a file list from the API, absent files are learnt from 404s") {
  model.list_siblings = false;
  hc::test::serve_model(server, model);

  hc::hub::FetchResult result = fetch();
  REQUIRE(result.absent == std::vector<std::string>{"special_tokens_map.json"});
  REQUIRE(server.count(resolve_path(model, "special_tokens_map.json"), "HEAD") == 1);

  server.clear_requests();
  fetch();
  REQUIRE(server.count(resolve_path(model, "special_tokens_map.json")) == 0);
}

TEST_CASE_METHOD(HubFixture, "an explicit file list fetches exactly those files") {
  options.files = {"config.json", "merges.txt"};
  hc::hub::FetchResult result = fetch();
  REQUIRE(result.files == options.files);
  REQUIRE(fs::exists(snapshot() / "merges.txt"));
  REQUIRE_FALSE(fs::exists(snapshot() / "model.safetensors"));

  options.files = {"nope.bin"};
  REQUIRE_THAT(fetch_error(), Contains("org/clip-tiny@main has no file 'nope.bin' (404"));

  options.files = {"../escape"};
  REQUIRE_THROWS_AS(fetch(), hc::Error);
}

TEST_CASE_METHOD(HubFixture, "a model with no safetensors weights is refused") {
  model.files.erase("model.safetensors");
  model.lfs.clear();
  model.files["pytorch_model.bin"] = "pickle";
  hc::test::serve_model(server, model);
  REQUIRE_THAT(fetch_error(), Contains("hc reads safetensors weights only"));
}

TEST_CASE_METHOD(HubFixture, "the token is sent as a Bearer header, and 401/403 say what to do") {
  hc::test::HttpRoute denied;
  denied.status = 401;
  denied.headers = {{"X-Error-Code", "RepoNotFound"}};
  server.route(hc::test::api_path(model), denied);

  std::string message = fetch_error();
  REQUIRE_THAT(message, Contains("401"));
  REQUIRE_THAT(message, Contains("set HF_TOKEN"));
  REQUIRE(server.requests().back().header("authorization").empty());

  settings.token = "hf_secret";
  message = fetch_error();
  REQUIRE_THAT(message, Contains("token (HF_TOKEN) is not valid"));
  REQUIRE(server.requests().back().header("authorization") == "Bearer hf_secret");

  hc::test::serve_model(server, model);
  hc::test::HttpRoute gated;
  gated.status = 403;
  gated.headers = {{"X-Error-Code", "GatedRepo"}};
  server.route(resolve_path(model, "config.json"), gated);
  message = fetch_error();
  REQUIRE_THAT(message, Contains("config.json of org/clip-tiny@main: 403 Forbidden"));
  REQUIRE_THAT(message, Contains("request access at " + server.url() + "/org/clip-tiny"));
}

TEST_CASE_METHOD(HubFixture, "the token never follows a redirect to another host") {
  settings.token = "hf_secret";
  // The CDN as another origin: "localhost" instead of 127.0.0.1, still this machine.
  std::string etag = hc::test::fake_etag(model.files.at("model.safetensors"), true);
  hc::test::HttpRoute redirect;
  redirect.status = 302;
  redirect.headers = {{"Location", "http://localhost:" + std::to_string(server.port()) +
                                       cdn_path(model, "model.safetensors")},
                      {"X-Linked-Etag", "\"" + etag + "\""},
                      {"X-Linked-Size", std::to_string(model.files.at("model.safetensors").size())}};
  server.route(resolve_path(model, "model.safetensors"), redirect);

  fetch();
  REQUIRE(hc::test::read_bytes(snapshot() / "model.safetensors") == model.files.at("model.safetensors"));
  for (const auto& request : server.requests()) {
    CAPTURE(request.path);
    bool to_cdn = request.path.rfind("/cdn/", 0) == 0;
    REQUIRE(request.header("authorization") == (to_cdn ? "" : "Bearer hf_secret"));
  }
}

TEST_CASE_METHOD(HubFixture, "404s name the missing model or revision") {
  model.repo_id = "org/missing";
  REQUIRE_THAT(fetch_error(), Contains("no model 'org/missing' on " + server.url() + " (404"));

  hc::test::HttpRoute no_revision;
  no_revision.status = 404;
  no_revision.headers = {{"X-Error-Code", "RevisionNotFound"}};
  server.route("/api/models/org/missing/revision/v9", no_revision);
  options.revision = "v9";
  REQUIRE_THAT(fetch_error(), Contains("org/missing has no revision 'v9'"));
}

TEST_CASE_METHOD(HubFixture, "server errors and an unreachable hub give clear messages") {
  SECTION("5xx") {
    hc::test::HttpRoute broken;
    broken.status = 503;
    server.route(hc::test::api_path(model), broken);
    std::string message = fetch_error();
    REQUIRE_THAT(message, Contains("503"));
    REQUIRE_THAT(message, Contains("try again later"));
  }
  SECTION("connection refused") {
    settings.endpoint = "http://127.0.0.1:" + std::to_string(hc::test::unused_local_port());
    std::string message = fetch_error();
    REQUIRE_THAT(message, Contains("cannot reach the hub at " + settings.endpoint));
    REQUIRE_THAT(message, Contains("offline?"));
    REQUIRE_THAT(message, Contains(settings.cache_dir.string()));
  }
  SECTION("HF_HUB_OFFLINE") {
    settings.offline = true;
    REQUIRE_THAT(fetch_error(), Contains("HF_HUB_OFFLINE"));
    REQUIRE(server.requests().empty());
  }
}

TEST_CASE("hub settings come from the environment") {
  hc::test::TempDir dir;
  hc::test::ScopedEnv env;
  env.set("HF_ENDPOINT", "http://127.0.0.1:9/").set("HF_HOME", dir.path().string());
  env.unset("HF_TOKEN").unset("HUGGING_FACE_HUB_TOKEN").unset("HF_TOKEN_PATH");
  env.unset("HF_HUB_CACHE").unset("HUGGINGFACE_HUB_CACHE").unset("HF_HUB_OFFLINE");

  auto settings = hc::hub::HubSettings::from_environment();
  REQUIRE(settings.endpoint == "http://127.0.0.1:9");
  REQUIRE(settings.token.empty());
  REQUIRE(settings.cache_dir == dir / "hub");
  REQUIRE_FALSE(settings.offline);

  hc::test::write_bytes(dir / "token", "hf_from_file\n");
  REQUIRE(hc::hub::HubSettings::from_environment().token == "hf_from_file");
  env.set("HUGGING_FACE_HUB_TOKEN", "hf_old_name");
  REQUIRE(hc::hub::HubSettings::from_environment().token == "hf_old_name");
  env.set("HF_TOKEN", "hf_new_name").set("HF_HUB_OFFLINE", "1");
  settings = hc::hub::HubSettings::from_environment();
  REQUIRE(settings.token == "hf_new_name");
  REQUIRE(settings.offline);
}
