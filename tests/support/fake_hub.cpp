#include "fake_hub.h"

#include <cstdint>
#include <cstdio>

namespace hc::test {

FakeModel tiny_clip_model() {
  FakeModel model;
  std::string weights;
  for (int i = 0; i < 300000; ++i) weights += static_cast<char>((i * 131 + i / 7) & 0xff);
  model.files = {
      {"config.json", R"({"model_type": "clip", "projection_dim": 16})"},
      {"model.safetensors", weights},
      {"vocab.json", R"({"a</w>": 0, "b</w>": 1})"},
      {"merges.txt", "#version: 0.2\na b\n"},
      {"preprocessor_config.json", R"({"crop_size": 224})"},
      {"tokenizer_config.json", R"({"model_max_length": 77})"},
  };
  model.lfs = {"model.safetensors"};
  return model;
}

std::string fake_etag(const std::string& content, bool lfs) {
  std::string hex;
  for (std::uint64_t salt = 0; hex.size() < (lfs ? 64u : 40u); ++salt) {
    std::uint64_t hash = 1469598103934665603ull ^ salt;
    for (unsigned char c : content) hash = (hash ^ c) * 1099511628211ull;
    char chunk[17];
    std::snprintf(chunk, sizeof(chunk), "%016llx", static_cast<unsigned long long>(hash));
    hex += chunk;
  }
  return hex.substr(0, lfs ? 64 : 40);
}

std::string api_path(const FakeModel& model) {
  return "/api/models/" + model.repo_id + "/revision/" + model.revision;
}

std::string resolve_path(const FakeModel& model, const std::string& file) {
  return "/" + model.repo_id + "/resolve/" + model.commit + "/" + file;
}

std::string cdn_path(const FakeModel& model, const std::string& file) {
  return "/cdn/" + fake_etag(model.files.at(file), true);
}

void bypass_proxies(ScopedEnv& env) { env.set("no_proxy", "*").set("NO_PROXY", "*"); }

void serve_model(LocalHttpServer& server, const FakeModel& model) {
  std::string siblings;
  for (const auto& [name, content] : model.files) {
    siblings += (siblings.empty() ? "" : ", ") + std::string("{\"rfilename\": \"") + name + "\"}";
  }
  HttpRoute api;
  api.headers = {{"Content-Type", "application/json"}};
  api.body = "{\"id\": \"" + model.repo_id + "\", \"sha\": \"" + model.commit + "\"" +
             (model.list_siblings ? ", \"siblings\": [" + siblings + "]" : std::string()) + "}";
  server.route(api_path(model), api);

  for (const auto& [name, content] : model.files) {
    bool lfs = model.lfs.count(name) > 0;
    HttpRoute resolve;
    resolve.headers = {{"X-Repo-Commit", model.commit}};
    if (lfs) {
      std::string etag = fake_etag(content, true);
      resolve.status = 302;
      resolve.headers.emplace_back("Location", server.url() + cdn_path(model, name));
      resolve.headers.emplace_back("X-Linked-Etag", "\"" + etag + "\"");
      resolve.headers.emplace_back("X-Linked-Size", std::to_string(content.size()));
      resolve.headers.emplace_back("ETag", "W/\"not-the-blob-name\"");
      HttpRoute cdn;
      cdn.headers = {{"ETag", "\"" + etag + "\""}};
      cdn.body = content;
      server.route(cdn_path(model, name), cdn);
    } else {
      resolve.headers.emplace_back("ETag", "\"" + fake_etag(content, false) + "\"");
      resolve.body = content;
    }
    server.route(resolve_path(model, name), resolve);
  }
}

}  // namespace hc::test
