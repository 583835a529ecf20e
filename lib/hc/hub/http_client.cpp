#include "hc/hub/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

#include "hc/core/error.h"
#include "hc/core/version.h"
#include "hc/hub/ascii_text.h"

namespace hc::hub {
namespace fs = std::filesystem;

namespace {

// API answers are small; anything bigger than this in memory is a mistake, not a model file.
constexpr size_t kMaxMemoryBody = 64u << 20;
// A non-2xx body is only kept for the error message.
constexpr size_t kMaxErrorBody = 64u << 10;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State shared with curl's callbacks for one request.
struct Exchange {
  HttpResponse response;
  int responses_seen = 0;  // one per status line: redirects add more

  // download() only.
  const fs::path* file = nullptr;
  std::uint64_t resume_from = 0;
  const ProgressCallback* progress = nullptr;
  std::FILE* out = nullptr;
  int out_for_response = -1;   // which response the file was opened for
  bool writing_body = false;   // the current response is a 2xx whose body goes to the file
  std::uint64_t in_file = 0;   // bytes in the file, resumed prefix included
  std::uint64_t total = 0;     // expected final size, 0 if unknown
  std::string failure;         // why a callback stopped the transfer

  bool in_memory = false;  // get(): the body is kept in response.body

  ~Exchange() {
    if (out) std::fclose(out);
  }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    exchange.responses_seen++;
    exchange.response.headers.clear();
    size_t space = line.find(' ');
    exchange.response.status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    exchange.response.headers[ascii_lower(trim_ascii_space(line.substr(0, colon)))] =
        trim_ascii_space(line.substr(colon + 1));
  }
  return size * count;
}

// The first start offset of "bytes <start>-<end>/<total>", or -1.
long long content_range_start(const std::string& value) {
  size_t digits = value.find_first_of("0123456789");
  if (value.rfind("bytes", 0) != 0 || digits == std::string::npos) return -1;
  return std::atoll(value.c_str() + digits);
}

std::uint64_t content_range_total(const std::string& value) {
  size_t slash = value.rfind('/');
  if (slash == std::string::npos || value.compare(slash + 1, std::string::npos, "*") == 0) return 0;
  return std::strtoull(value.c_str() + slash + 1, nullptr, 10);
}

// Decides, at the first body bytes of a response, where they go.
bool start_body(Exchange& exchange) {
  exchange.out_for_response = exchange.responses_seen;
  long status = exchange.response.status;
  exchange.writing_body = status >= 200 && status < 300;
  if (!exchange.writing_body) return true;

  const char* mode = "wb";
  exchange.in_file = 0;
  std::uint64_t length = std::strtoull(exchange.response.header("content-length").c_str(),
                                       nullptr, 10);
  exchange.total = length;
  if (status == 206) {
    std::string range = exchange.response.header("content-range");
    if (content_range_start(range) != static_cast<long long>(exchange.resume_from)) {
      exchange.failure = fmt::format("the server answered Range bytes={}- with '{}'",
                                     exchange.resume_from, range);
      return false;
    }
    mode = "ab";
    exchange.in_file = exchange.resume_from;
    exchange.total = content_range_total(range);
    if (exchange.total == 0 && length > 0) exchange.total = exchange.resume_from + length;
  }
  if (exchange.out) std::fclose(exchange.out);
  exchange.out = std::fopen(exchange.file->c_str(), mode);
  if (!exchange.out) {
    throw runtime_error("cannot write {}: cannot open it", exchange.file->string());
  }
  return true;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  size_t bytes = size * count;
  if (exchange.in_memory) {
    if (exchange.response.body.size() + bytes > kMaxMemoryBody) {
      exchange.failure = "the answer is too large to keep in memory";
      return 0;
    }
    exchange.response.body.append(data, bytes);
    return bytes;
  }
  try {
    if (exchange.out_for_response != exchange.responses_seen && !start_body(exchange)) return 0;
  } catch (const Error& e) {
    exchange.failure = e.what();
    return 0;
  }
  if (!exchange.writing_body) {
    size_t keep = std::min(bytes, kMaxErrorBody - std::min(kMaxErrorBody,
                                                           exchange.response.body.size()));
    exchange.response.body.append(data, keep);
    return bytes;
  }
  if (std::fwrite(data, 1, bytes, exchange.out) != bytes) {
    exchange.failure = fmt::format("cannot write {}: write error (disk full?)",
                                   exchange.file->string());
    return 0;
  }
  exchange.in_file += bytes;
  exchange.response.body_bytes += bytes;
  if (exchange.progress && *exchange.progress) (*exchange.progress)(exchange.in_file, exchange.total);
  return bytes;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

enum class Method { Head, Get };

HttpResponse perform(const std::string& url, const HttpHeaders& headers, Method method,
                     bool follow, const HttpTimeouts& timeouts, Exchange& exchange) {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw runtime_error("cannot start an HTTP request (libcurl failed to initialise)");

  // The Range header is set by hand, not with CURLOPT_RESUME_FROM: libcurl then treats a 200
  // answer (a server that ignores ranges) as an error, where we can simply start over.
  std::vector<std::string> lines;
  for (const auto& [name, value] : headers) lines.push_back(name + ": " + value);
  if (exchange.resume_from > 0) lines.push_back(fmt::format("Range: bytes={}-", exchange.resume_from));

  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const std::string& line : lines) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (!grown) throw runtime_error("cannot start an HTTP request (out of memory)");
    list.release();
    list.reset(grown);
  }
  static const std::string user_agent = std::string("hc/") + version() + "; " + curl_version();
  char error_buffer[CURL_ERROR_SIZE] = {0};

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(handle, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, timeouts.connect_s);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, timeouts.stall_s);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 10L);
  if (method == Method::Head) curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);

  CURLcode code = curl_easy_perform(handle);
  if (exchange.out && std::fflush(exchange.out) != 0 && exchange.failure.empty()) {
    exchange.failure = fmt::format("cannot write {}: write error (disk full?)",
                                   exchange.file->string());
  }
  if (!exchange.failure.empty() && code == CURLE_WRITE_ERROR) {
    // Our own callback stopped the transfer: a file problem is the caller's error to raise.
    if (exchange.failure.rfind("cannot write", 0) == 0) throw runtime_error("{}", exchange.failure);
    exchange.response.error = exchange.failure;
  } else if (code != CURLE_OK) {
    exchange.response.error = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
  }
  return std::move(exchange.response);
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(ascii_lower(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(HttpTimeouts timeouts) : timeouts_(timeouts) {}

HttpResponse HttpClient::head(const std::string& url, const HttpHeaders& headers) const {
  Exchange exchange;
  exchange.in_memory = true;
  return perform(url, headers, Method::Head, false, timeouts_, exchange);
}

HttpResponse HttpClient::get(const std::string& url, const HttpHeaders& headers) const {
  Exchange exchange;
  exchange.in_memory = true;
  return perform(url, headers, Method::Get, true, timeouts_, exchange);
}

HttpResponse HttpClient::download(const std::string& url, const HttpHeaders& headers,
                                  const fs::path& file, std::uint64_t resume_from,
                                  const ProgressCallback& progress) const {
  Exchange exchange;
  exchange.file = &file;
  exchange.resume_from = resume_from;
  exchange.progress = &progress;
  HttpResponse response = perform(url, headers, Method::Get, true, timeouts_, exchange);
  // An empty 200 body never reaches the write callback: the file must still exist, empty.
  if (response.error.empty() && response.status == 200 && exchange.out_for_response < 0) {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    if (!out) throw runtime_error("cannot write {}: cannot open it", file.string());
    std::fclose(out);
  }
  return response;
}

std::string url_encode(const std::string& text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string url_origin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t path = url.find('/', scheme + 3);
  return ascii_lower(url.substr(0, path));
}

}  // namespace hc::hub
