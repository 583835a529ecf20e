#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// A tiny HTTP/1.1 server for the download tests: it listens on 127.0.0.1 at an ephemeral port,
// answers from a table of path -> response, honours Range requests, can cut a body short to
// simulate an interrupted transfer, and records every request. One connection at a time, each
// closed after its response. It never reaches anything itself.
namespace hc::test {

struct HttpRoute {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
  // The next cut_times GETs send the full headers but only cut_after bytes of the body, then
  // close the connection.
  size_t cut_after = 0;
  int cut_times = 0;
};

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string header(const std::string& name) const;
};

class LocalHttpServer {
 public:
  LocalHttpServer();
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:<port>

  // Serves route at path (exact match, no query); unknown paths get an empty 404.
  void route(const std::string& path, HttpRoute route);
  void remove(const std::string& path);

  std::vector<RecordedRequest> requests() const;
  // Requests for path, of one method ("GET", "HEAD") or of any when method is empty.
  int count(const std::string& path, const std::string& method = "") const;
  void clear_requests();

 private:
  void serve();
  void answer(int connection);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, HttpRoute> routes_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

// A port on 127.0.0.1 that nothing listens on (bound, then released), for "connection refused".
int unused_local_port();

}  // namespace hc::test
