#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

// A small blocking HTTP(S) client over libcurl, enough for the hub: HEAD, GET into memory, and
// GET streamed into a file with Range resume. Transport failures (refused, timeout, a response
// cut short) are reported in the response rather than thrown, so the caller can word the error
// for its context (offline, interrupted download) and decide whether to retry.
namespace hc::hub {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  long status = 0;        // the HTTP status of the last response; 0 when none arrived
  std::string error;      // the transport failure, empty when the exchange completed
  std::map<std::string, std::string> headers;  // of the last response, names in lower case
  std::string body;       // get(); for download(), the body of a non-2xx answer
  std::uint64_t body_bytes = 0;  // download(): bytes written to the file by this request

  bool transport_failed() const { return !error.empty(); }
  // A header's value, or "" (names are matched in lower case).
  std::string header(const std::string& name) const;
};

// Called with bytes now in the file (including a resumed prefix) and the total, 0 if unknown.
using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct HttpTimeouts {
  long connect_s = 10;
  // A transfer slower than 1 byte/s for this long counts as stalled (a transport failure).
  long stall_s = 60;
};

class HttpClient {
 public:
  explicit HttpClient(HttpTimeouts timeouts = {});

  // Redirects are not followed: the caller sees a 3xx with its Location and headers.
  HttpResponse head(const std::string& url, const HttpHeaders& headers) const;
  // Follows redirects; the body is kept in memory (API answers, small files).
  HttpResponse get(const std::string& url, const HttpHeaders& headers) const;
  // Follows redirects and streams a 2xx body into file. With resume_from > 0 it asks for
  // "Range: bytes=<resume_from>-" and appends when the server answers 206; a plain 200 rewrites
  // the file from the start. A write failure on the file is an hc::Error.
  HttpResponse download(const std::string& url, const HttpHeaders& headers,
                        const std::filesystem::path& file, std::uint64_t resume_from,
                        const ProgressCallback& progress) const;

 private:
  HttpTimeouts timeouts_;
};

// Percent-encodes text for a URL path: unreserved characters stay, and so does '/' when
// keep_slash (file paths inside a repo), else it becomes %2F (a revision like refs/pr/1).
std::string url_encode(const std::string& text, bool keep_slash);

// "https://host:port" of a URL (scheme and authority), for comparing origins.
std::string url_origin(const std::string& url);

}  // namespace hc::hub
