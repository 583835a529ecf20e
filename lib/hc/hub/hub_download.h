#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/hub/http_client.h"

// Downloads a checkpoint from the Hugging Face hub (or a mirror) into the local hub cache, in the
// layout huggingface_hub uses (see hf_cache.h), so Python tools reuse what hc fetched and the
// other way round. Each file goes to blobs/<etag>.incomplete first (resumed with an HTTP Range
// after an interruption), is renamed to blobs/<etag> once whole, and only then linked from
// snapshots/<commit>/<file>; refs/<revision> is written last. A file already in the snapshot is
// not asked for again.
namespace hc::hub {

// Where the hub is and who we are, read from the environment as huggingface_hub reads it.
struct HubSettings {
  std::string endpoint = "https://huggingface.co";  // $HF_ENDPOINT, without a trailing '/'
  // $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else the token file ($HF_TOKEN_PATH, else
  // $HF_HOME/token, written by `huggingface-cli login`); empty for anonymous access.
  std::string token;
  std::filesystem::path cache_dir;  // hf_hub_cache_dir()
  bool offline = false;             // $HF_HUB_OFFLINE is 1/true/yes/on

  static HubSettings from_environment();
};

struct FetchOptions {
  std::string revision = "main";  // branch, tag or full commit hash
  // The files to fetch, each required. Empty: a CLIP checkpoint, i.e. config.json (else
  // open_clip_config.json), model.safetensors (else model.safetensors.index.json and the shards it
  // lists, else open_clip_model.safetensors), and when the model has them vocab.json, merges.txt,
  // preprocessor_config.json, tokenizer_config.json, special_tokens_map.json.
  std::vector<std::string> files;
  int attempts = 5;            // per file, for interrupted transfers (each resumes with Range)
  double retry_delay_s = 1.0;  // before the second attempt, doubled after each further one
  HttpTimeouts timeouts;
};

struct FetchResult {
  std::string repo_id;
  std::string revision;
  std::string commit;
  std::filesystem::path snapshot;       // <cache>/models--org--name/snapshots/<commit>
  std::vector<std::string> files;       // in the snapshot now, in the order fetched
  std::vector<std::string> absent;      // optional files the model does not have
  std::uint64_t bytes_downloaded = 0;   // by this call (0 when everything was cached)
};

// Fetches repo_id ("org/name") at options.revision. Errors are hc::Error with one line that says
// what to do: 401/403 (private or gated: set HF_TOKEN), 404 (no such model, revision or file),
// the hub unreachable (offline: use a local folder or the cache), 5xx (try again later), an
// interrupted download (run again to resume). A malformed id or revision is a usage error.
FetchResult fetch_model(const std::string& repo_id, const FetchOptions& options,
                        const HubSettings& settings);

}  // namespace hc::hub
