#pragma once
#include <map>
#include <set>
#include <string>

#include "local_http_server.h"
#include "scoped_env.h"

// A model served by LocalHttpServer the way the Hugging Face hub serves one: the revision API,
// resolve/<commit>/<file> with an ETag, and large ("LFS") files redirected to a CDN path with
// X-Linked-Etag / X-Linked-Size, as huggingface_hub expects them.
namespace hc::test {

struct FakeModel {
  std::string repo_id = "org/clip-tiny";
  std::string revision = "main";
  std::string commit = "0123456789abcdef0123456789abcdef01234567";
  std::map<std::string, std::string> files;
  std::set<std::string> lfs;    // files served through the CDN redirect
  bool list_siblings = true;    // whether the revision API lists the files
};

// A CLIP-like model: the config, tokenizer and preprocessor files and a 300 kB model.safetensors
// (LFS); it has no special_tokens_map.json.
FakeModel tiny_clip_model();

// A deterministic fake ETag of content: 40 hex digits (a git blob id) or 64 for LFS files.
std::string fake_etag(const std::string& content, bool lfs);

// Paths on the server.
std::string api_path(const FakeModel& model);
std::string resolve_path(const FakeModel& model, const std::string& file);
std::string cdn_path(const FakeModel& model, const std::string& file);

// Makes libcurl ignore any proxy of the environment, so requests reach the local server.
void bypass_proxies(ScopedEnv& env);

// Routes the revision API and every file of model on server.
void serve_model(LocalHttpServer& server, const FakeModel& model);

}  // namespace hc::test
