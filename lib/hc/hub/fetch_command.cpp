#include "hc/hub/fetch_command.h"

#include <iostream>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/core/result.h"
#include "hc/core/tool.h"
#include "hc/hub/hf_cache.h"
#include "hc/hub/hub_download.h"

namespace hc {
namespace {

// "a,b" given once or "a" "b" given apart: the same list.
std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = value.find(',', start);
      std::string part = value.substr(start, comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace

void FetchCommandOptions::declare(ConfigSchema& schema) {
  schema.add("fetch.model", model, "hub model id: org/name or org/name@revision")
      .required()
      .flag("model");
  schema.add("fetch.revision", revision, "branch, tag or commit (default: main)")
      .flag("--revision,-r");
  schema.add("fetch.files", files,
             "only these files (comma-separated or repeated; default: a CLIP checkpoint's files)")
      .flag("--files");
  schema.add("fetch.cache_dir", cache_dir,
             "hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub)")
      .flag("--cache-dir");
}

void run_fetch(const FetchCommandOptions& options, RunContext& context, RunResult& result) {
  hub::HubId id = hub::parse_hub_id(options.model);
  hub::FetchOptions fetch;
  fetch.revision = id.revision;
  if (!options.revision.empty()) {
    if (id.revision_given && id.revision != options.revision) {
      throw usage_error("'{}' and --revision {} name different revisions", options.model,
                        options.revision);
    }
    fetch.revision = options.revision;
  }
  fetch.files = split_commas(options.files);
  hub::HubSettings settings = hub::HubSettings::from_environment();
  if (!options.cache_dir.empty()) settings.cache_dir = options.cache_dir;

  const hub::FetchResult fetched = hub::fetch_model(id.repo_id, fetch, settings);
  if (context.output.empty()) std::cout << fetched.snapshot.string() << std::endl;
  result.set("repo_id", fetched.repo_id);
  result.set("revision", fetched.revision);
  result.set("commit", fetched.commit);
  result.set("snapshot", fetched.snapshot.string());
  result.set("files", fetched.files);
  result.set("absent", fetched.absent);
  result.metrics()["bytes_downloaded"] = fetched.bytes_downloaded;
}

}  // namespace hc
