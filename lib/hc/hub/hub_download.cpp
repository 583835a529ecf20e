#include "hc/hub/hub_download.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/core/progress.h"
#include "hc/hub/ascii_text.h"
#include "hc/hub/environment.h"
#include "hc/hub/file_lock.h"
#include "hc/hub/hf_cache.h"

namespace hc::hub {
namespace fs = std::filesystem;

namespace {

// Files at least this large get periodic progress lines.
constexpr std::uint64_t kProgressMinBytes = 10u << 20;

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  if (bytes < (1u << 20)) return fmt::format("{:.1f} kB", bytes / 1e3);
  if (bytes < (1ull << 30)) return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

// huggingface_hub's normalisation: a weak prefix and the quotes go.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
  return etag;
}

// A file name inside a repo: relative, no "..", no empty parts.
void check_repo_file(const std::string& name, const std::string& repo_id) {
  bool bad = name.empty() || name.front() == '/' || name.back() == '/' ||
             name.find("//") != std::string::npos || name.find('\\') != std::string::npos;
  for (const auto& part : fs::path(name)) {
    if (part == ".." || part == ".") bad = true;
  }
  if (bad) throw usage_error("'{}' is not a file name inside the model {}", name, repo_id);
}

std::uint64_t file_size_or_zero(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

void touch(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream touched(path, std::ios::app);
}

// Reports the progress of one large file in megabytes through hc::Progress (a bar on a terminal,
// a log line now and then otherwise); small files download silently.
class DownloadProgress {
 public:
  DownloadProgress(const std::string& name, std::uint64_t size, std::uint64_t resumed_at)
      : resumed_at_(resumed_at) {
    if (size < kProgressMinBytes) return;
    std::string label = fmt::format("{} (MB{})", name, resumed_at ? ", resumed" : "");
    progress_.emplace(label, megabytes(size - std::min(size, resumed_at)));
  }

  // done: bytes in the file now, the resumed part included.
  void update(std::uint64_t done) {
    if (!progress_) return;
    std::uint64_t now = megabytes(done - std::min(done, resumed_at_));
    if (now > reported_) progress_->advance(static_cast<std::size_t>(now - reported_));
    reported_ = std::max(reported_, now);
  }

  void finish(std::uint64_t done) {
    if (!progress_) return;
    update(done);
    progress_->finish();
  }

 private:
  static std::uint64_t megabytes(std::uint64_t bytes) { return (bytes + 999999) / 1000000; }

  std::uint64_t resumed_at_;
  std::uint64_t reported_ = 0;
  std::optional<Progress> progress_;
};

// What a HEAD on resolve/<commit>/<file> says about the file.
struct FileInfo {
  std::string etag;
  std::uint64_t size = 0;  // 0 if not given
  std::string url;         // where to GET it (the CDN for large files)
};

class Fetcher {
 public:
  Fetcher(std::string repo_id, const FetchOptions& options, const HubSettings& settings)
      : repo_id_(std::move(repo_id)),
        options_(options),
        settings_(settings),
        client_(options.timeouts),
        repo_dir_(settings.cache_dir / repo_folder_name(repo_id_)) {}

  FetchResult run() {
    result_.repo_id = repo_id_;
    result_.revision = options_.revision;
    spdlog::info("fetching {}@{} from {} into {}", repo_id_, options_.revision, settings_.endpoint,
                 settings_.cache_dir.string());
    resolve_commit();
    result_.commit = commit_;
    result_.snapshot = repo_dir_ / "snapshots" / commit_;
    if (options_.files.empty()) {
      fetch_clip_checkpoint();
    } else {
      for (const std::string& name : options_.files) fetch_file(name, true);
    }
    write_ref();
    spdlog::info("{}@{} is in {} ({} files, {} downloaded)", repo_id_, options_.revision,
                 result_.snapshot.string(), result_.files.size(),
                 human_bytes(result_.bytes_downloaded));
    return result_;
  }

 private:
  // ---- the revision -------------------------------------------------------------------------

  void resolve_commit() {
    if (is_commit_hash(options_.revision)) {
      commit_ = options_.revision;
      return;
    }
    std::string url = fmt::format("{}/api/models/{}/revision/{}", settings_.endpoint, repo_id_,
                                  url_encode(options_.revision, false));
    HttpResponse response = client_.get(url, headers_for(url));
    if (response.transport_failed() || response.status != 200) {
      throw http_error(response, url, "");
    }
    nlohmann::json info = nlohmann::json::parse(response.body, nullptr, false);
    if (info.is_discarded() || !info.is_object() || !info.contains("sha") ||
        !info["sha"].is_string() || !is_commit_hash(info["sha"].get<std::string>())) {
      throw runtime_error("{} answered {} without a commit hash (\"sha\"): is HF_ENDPOINT a hub?",
                          settings_.endpoint, url);
    }
    commit_ = info["sha"].get<std::string>();
    if (info.contains("siblings") && info["siblings"].is_array()) {
      siblings_.emplace();
      for (const auto& sibling : info["siblings"]) {
        if (sibling.is_object() && sibling.contains("rfilename") &&
            sibling["rfilename"].is_string()) {
          siblings_->insert(sibling["rfilename"].get<std::string>());
        }
      }
    }
    spdlog::debug("{}@{} is commit {}", repo_id_, options_.revision, commit_);
  }

  void write_ref() {
    if (options_.revision == commit_) return;
    fs::path ref = repo_dir_ / "refs" / options_.revision;
    std::ifstream in(ref);
    std::ostringstream current;
    if (in) current << in.rdbuf();
    if (trim_ascii_space(current.str()) != commit_) write_file_atomically(ref, commit_);
  }

  // ---- the file set -------------------------------------------------------------------------

  void fetch_clip_checkpoint() {
    bool config = fetch_file("config.json", false) || fetch_file("open_clip_config.json", false);
    if (!config) {
      throw runtime_error("{}@{} has no config.json or open_clip_config.json: not a model hc can "
                          "load (pass --files to fetch other files)",
                          repo_id_, options_.revision);
    }
    bool weights = fetch_file("model.safetensors", false) || fetch_sharded_weights() ||
                   fetch_file("open_clip_model.safetensors", false);
    if (!weights) {
      throw runtime_error("{}@{} has no model.safetensors, model.safetensors.index.json or "
                          "open_clip_model.safetensors (hc reads safetensors weights only)",
                          repo_id_, options_.revision);
    }
    for (const char* name : {"vocab.json", "merges.txt", "preprocessor_config.json",
                             "tokenizer_config.json", "special_tokens_map.json"}) {
      fetch_file(name, false);
    }
  }

  bool fetch_sharded_weights() {
    const std::string index_name = "model.safetensors.index.json";
    if (!fetch_file(index_name, false)) return false;
    std::ifstream in(result_.snapshot / index_name);
    nlohmann::json index = nlohmann::json::parse(in, nullptr, false);
    if (index.is_discarded() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      throw runtime_error("{} of {} has no \"weight_map\" object", index_name, repo_id_);
    }
    std::set<std::string> shards;
    for (const auto& [tensor, shard] : index["weight_map"].items()) {
      if (!shard.is_string()) {
        throw runtime_error("{} of {}: the shard of '{}' is not a file name", index_name, repo_id_,
                            tensor);
      }
      shards.insert(shard.get<std::string>());
    }
    for (const std::string& shard : shards) fetch_file(shard, true);
    return true;
  }

  // ---- one file -----------------------------------------------------------------------------

  // Makes snapshots/<commit>/<name> present. False when an optional file does not exist upstream.
  bool fetch_file(const std::string& name, bool required) {
    check_repo_file(name, repo_id_);
    fs::path pointer = result_.snapshot / name;
    std::error_code ec;
    if (fs::exists(pointer, ec)) {
      spdlog::debug("{}: already in the cache", name);
      result_.files.push_back(name);
      return true;
    }
    fs::path no_exist = repo_dir_ / ".no_exist" / commit_ / name;
    bool known_absent = (siblings_ && !siblings_->count(name)) || fs::exists(no_exist, ec);
    if (known_absent) {
      if (required) throw missing_file_error(name);
      return absent(name, no_exist);
    }

    std::optional<FileInfo> info = file_info(name, required);
    if (!info) return absent(name, no_exist);

    fs::path blob = repo_dir_ / "blobs" / info->etag;
    if (!fs::exists(blob, ec)) {
      FileLock lock(settings_.cache_dir / ".locks" / repo_folder_name(repo_id_) /
                    (info->etag + ".lock"));
      if (!fs::exists(blob, ec)) download_blob(name, *info, blob);
    } else {
      spdlog::debug("{}: blob {} already in the cache", name, info->etag);
    }
    link(blob, pointer);
    result_.files.push_back(name);
    return true;
  }

  bool absent(const std::string& name, const fs::path& no_exist) {
    spdlog::debug("{}: not in {}@{}", name, repo_id_, options_.revision);
    touch(no_exist);  // what huggingface_hub records, so neither side asks again
    result_.absent.push_back(name);
    return false;
  }

  // HEAD resolve/<commit>/<file>, following the hub's relative redirects (a renamed repo) but not
  // the absolute one to the CDN: the hub's own answer carries X-Linked-Etag and X-Linked-Size.
  std::optional<FileInfo> file_info(const std::string& name, bool required) {
    std::string url = resolve_url(name);
    HttpResponse response;
    for (int hop = 0;; ++hop) {
      response = client_.head(url, headers_for(url));
      std::string location = response.header("location");
      bool relative_redirect = response.status >= 300 && response.status < 400 &&
                               !location.empty() && location[0] == '/';
      if (!relative_redirect || hop == 5) break;
      url = url_origin(settings_.endpoint) + location;
    }
    if (response.status == 404 && !required && is_missing_entry(response)) return std::nullopt;
    if (response.transport_failed() || response.status < 200 || response.status >= 400) {
      throw http_error(response, url, name);
    }
    FileInfo info;
    std::string linked = response.header("x-linked-etag");
    info.etag = normalize_etag(linked.empty() ? response.header("etag") : linked);
    if (info.etag.empty() || info.etag.find('/') != std::string::npos || info.etag == "." ||
        info.etag == "..") {
      throw runtime_error("{} gave no usable ETag for {} of {} (is HF_ENDPOINT a hub?)",
                          settings_.endpoint, name, repo_id_);
    }
    std::string size = response.header("x-linked-size");
    if (size.empty()) size = response.header("content-length");
    info.size = std::strtoull(size.c_str(), nullptr, 10);
    info.url = url;
    if (response.status >= 300) {
      std::string location = response.header("location");
      if (location.empty()) throw http_error(response, url, name);
      info.url = location[0] == '/' ? url_origin(settings_.endpoint) + location : location;
    }
    return info;
  }

  // blobs/<etag>.incomplete, resumed from what an earlier attempt (or run) left, renamed whole.
  void download_blob(const std::string& name, const FileInfo& info, const fs::path& blob) {
    fs::path partial = blob;
    partial += ".incomplete";
    std::error_code ec;
    fs::create_directories(blob.parent_path(), ec);
    if (ec) throw runtime_error("cannot create {}: {}", blob.parent_path().string(), ec.message());

    spdlog::log(info.size >= kProgressMinBytes ? spdlog::level::info : spdlog::level::debug,
                "{}: downloading {}", name, info.size ? human_bytes(info.size) : "(size unknown)");
    double delay = options_.retry_delay_s;
    std::uint64_t received = 0;
    for (int attempt = 1;; ++attempt) {
      std::uint64_t have = file_size_or_zero(partial);
      if (info.size > 0 && have > info.size) {
        fs::remove(partial, ec);
        have = 0;
      }
      if (info.size > 0 && have == info.size) break;  // an earlier run got it all
      if (have > 0) spdlog::info("{}: resuming after {}", name, human_bytes(have));

      HttpHeaders headers = headers_for(info.url);
      headers.emplace_back("Accept-Encoding", "identity");
      DownloadProgress progress(name, info.size, have);
      HttpResponse response = client_.download(
          info.url, headers, partial, have,
          [&progress](std::uint64_t done, std::uint64_t) { progress.update(done); });
      received += response.body_bytes;

      if (response.status == 416 && have > 0) {
        fs::remove(partial, ec);  // the partial file does not fit what is served now
      } else if (!response.transport_failed() && (response.status < 200 || response.status >= 300)) {
        throw http_error(response, info.url, name);
      } else if (!response.transport_failed()) {
        std::uint64_t now = file_size_or_zero(partial);
        if (info.size == 0 || now == info.size) {
          progress.finish(now);
          break;
        }
        if (now > info.size) {
          fs::remove(partial, ec);
          throw runtime_error("{} of {}: received {} bytes where the hub announced {}; removed it",
                              name, repo_id_, now, info.size);
        }
        response.error = fmt::format("the connection ended after {} of {} bytes", now, info.size);
      }

      if (response.transport_failed() && attempt >= options_.attempts) {
        if (response.status == 0 && file_size_or_zero(partial) == 0) {
          throw unreachable_error(info.url, response.error);
        }
        throw runtime_error(
            "the download of {} ({}) was interrupted ({}) with {} of {} kept: run the same "
            "command again to resume",
            name, repo_id_, response.error, human_bytes(file_size_or_zero(partial)),
            info.size ? human_bytes(info.size) : std::string("?"));
      }
      if (response.transport_failed()) {
        spdlog::warn("{}: transfer interrupted ({}); retrying in {:.0f} s (attempt {} of {})",
                     name, response.error, delay, attempt + 1, options_.attempts);
        std::this_thread::sleep_for(std::chrono::duration<double>(delay));
        delay *= 2;
      }
    }
    fs::rename(partial, blob, ec);
    if (ec) throw runtime_error("cannot move {} into place: {}", partial.string(), ec.message());
    result_.bytes_downloaded += received;
    spdlog::debug("{}: {} received", name, human_bytes(received));
  }

  // snapshots/<commit>/<file> -> ../../blobs/<etag>, replaced in one rename so it never dangles.
  void link(const fs::path& blob, const fs::path& pointer) {
    std::error_code ec;
    fs::create_directories(pointer.parent_path(), ec);
    if (ec) throw runtime_error("cannot create {}: {}", pointer.parent_path().string(), ec.message());
    fs::path target = fs::absolute(blob).lexically_normal().lexically_relative(
        fs::absolute(pointer.parent_path()).lexically_normal());
    fs::path temp = pointer;
    temp += fmt::format(".tmp.{}", ::getpid());
    fs::remove(temp, ec);
    fs::create_symlink(target, temp, ec);
    if (ec) {
      // A file system without symlinks: huggingface_hub then keeps a copy in the snapshot.
      fs::copy_file(blob, temp, fs::copy_options::overwrite_existing, ec);
      if (ec) throw runtime_error("cannot link {} to {}: {}", pointer.string(), blob.string(), ec.message());
    }
    fs::rename(temp, pointer, ec);
    if (ec) {
      fs::remove(temp);
      throw runtime_error("cannot create {}: {}", pointer.string(), ec.message());
    }
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  std::string resolve_url(const std::string& name) const {
    return fmt::format("{}/{}/resolve/{}/{}", settings_.endpoint, repo_id_, commit_,
                       url_encode(name, true));
  }

  // The token goes to the hub only, never to the CDN a download is redirected to.
  HttpHeaders headers_for(const std::string& url) const {
    HttpHeaders headers;
    if (!settings_.token.empty() && url_origin(url) == url_origin(settings_.endpoint)) {
      headers.emplace_back("Authorization", "Bearer " + settings_.token);
    }
    return headers;
  }

  static bool is_missing_entry(const HttpResponse& response) {
    std::string code = response.header("x-error-code");
    return code.empty() || code == "EntryNotFound";
  }

  Error missing_file_error(const std::string& name) const {
    return runtime_error("{}@{} has no file '{}' (404 Not Found)", repo_id_, options_.revision,
                         name);
  }

  Error unreachable_error(const std::string& url, const std::string& why) const {
    return runtime_error(
        "cannot reach the hub at {} ({}): offline? Pass a local model folder, or a hub id already "
        "in the Hugging Face cache ({})",
        url_origin(url), why, settings_.cache_dir.string());
  }

  // One line for a failed request: about the file when file is set, else about the model.
  Error http_error(const HttpResponse& response, const std::string& url,
                   const std::string& file) const {
    if (response.transport_failed()) return unreachable_error(url, response.error);
    std::string what = file.empty() ? fmt::format("{}@{}", repo_id_, options_.revision)
                                    : fmt::format("{} of {}@{}", file, repo_id_, options_.revision);
    std::string code = response.header("x-error-code");
    switch (response.status) {
      case 401:
        if (settings_.token.empty()) {
          return runtime_error(
              "cannot fetch {}: 401 Unauthorized: the model is private or gated, or does not "
              "exist; for a private or gated model set HF_TOKEN to an access token ({}/settings/"
              "tokens)",
              what, settings_.endpoint);
        }
        return runtime_error(
            "cannot fetch {}: 401 Unauthorized: the token (HF_TOKEN) is not valid for this model, "
            "or the model does not exist",
            what);
      case 403:
        return runtime_error(
            "cannot fetch {}: 403 Forbidden: the model is gated or private; request access at "
            "{}/{} and set HF_TOKEN to a token of an account that has it",
            what, settings_.endpoint, repo_id_);
      case 404:
        if (code == "RevisionNotFound") {
          return runtime_error("{} has no revision '{}' (404 Not Found)", repo_id_,
                               options_.revision);
        }
        if (file.empty() || code == "RepoNotFound") {
          return runtime_error("no model '{}' on {} (404 Not Found); check the id", repo_id_,
                               settings_.endpoint);
        }
        return missing_file_error(file);
      default:
        break;
    }
    if (response.status >= 500) {
      return runtime_error("cannot fetch {}: the hub at {} answered {} (server error); try again "
                           "later",
                           what, settings_.endpoint, response.status);
    }
    return runtime_error("cannot fetch {}: unexpected HTTP {} from {}", what, response.status, url);
  }

  std::string repo_id_;
  const FetchOptions& options_;
  const HubSettings& settings_;
  HttpClient client_;
  fs::path repo_dir_;
  std::string commit_;
  std::optional<std::set<std::string>> siblings_;  // the repo's files, when the API listed them
  FetchResult result_;
};

}  // namespace

HubSettings HubSettings::from_environment() {
  HubSettings settings;
  std::string endpoint = env_value("HF_ENDPOINT");
  if (!endpoint.empty()) settings.endpoint = endpoint;
  while (!settings.endpoint.empty() && settings.endpoint.back() == '/') settings.endpoint.pop_back();

  settings.token = env_value("HF_TOKEN");
  if (settings.token.empty()) settings.token = env_value("HUGGING_FACE_HUB_TOKEN");
  if (settings.token.empty()) {
    std::string path = env_value("HF_TOKEN_PATH");
    std::ifstream in(path.empty() ? hf_home_dir() / "token" : expand_user(path));
    std::ostringstream content;
    if (in) content << in.rdbuf();
    settings.token = content.str();
  }
  settings.token = trim_ascii_space(settings.token);
  settings.cache_dir = hf_hub_cache_dir();
  settings.offline = env_flag("HF_HUB_OFFLINE");
  return settings;
}

FetchResult fetch_model(const std::string& repo_id, const FetchOptions& options,
                        const HubSettings& settings) {
  if (!is_valid_repo_id(repo_id)) {
    throw usage_error("'{}' is not a hub model id (expected org/name)", repo_id);
  }
  check_revision(options.revision);
  if (settings.offline) {
    throw runtime_error("HF_HUB_OFFLINE is set: downloads are off; unset it to fetch {}, or use "
                        "the model already in the cache ({})",
                        repo_id, settings.cache_dir.string());
  }
  return Fetcher(repo_id, options, settings).run();
}

}  // namespace hc::hub
