#include "local_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "hc/hub/ascii_text.h"

namespace hc::test {
namespace {

using hub::ascii_lower;
using hub::trim_ascii_space;

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

int bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

}  // namespace

std::string RecordedRequest::header(const std::string& name) const {
  auto it = headers.find(ascii_lower(name));
  return it == headers.end() ? std::string() : it->second;
}

LocalHttpServer::LocalHttpServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("test server: cannot create a socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("test server: cannot listen on 127.0.0.1");
  }
  port_ = bound_port(listen_fd_);
  thread_ = std::thread([this] { serve(); });
}

LocalHttpServer::~LocalHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string LocalHttpServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void LocalHttpServer::route(const std::string& path, HttpRoute route) {
  std::lock_guard<std::mutex> lock(mutex_);
  routes_[path] = std::move(route);
}

void LocalHttpServer::remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  routes_.erase(path);
}

std::vector<RecordedRequest> LocalHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

int LocalHttpServer::count(const std::string& path, const std::string& method) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(), [&](const auto& r) {
    return r.path == path && (method.empty() || r.method == method);
  }));
}

void LocalHttpServer::clear_requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
}

void LocalHttpServer::serve() {
  while (!stop_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    timeval timeout{2, 0};
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    answer(connection);
    ::close(connection);
  }
}

void LocalHttpServer::answer(int connection) {
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < (1 << 16)) {
    ssize_t got = ::recv(connection, buffer, sizeof(buffer), 0);
    if (got <= 0) return;
    request.append(buffer, static_cast<size_t>(got));
  }

  RecordedRequest record;
  size_t line_end = request.find("\r\n");
  std::string first = request.substr(0, line_end);
  size_t space1 = first.find(' ');
  size_t space2 = first.find(' ', space1 + 1);
  record.method = first.substr(0, space1);
  record.path = first.substr(space1 + 1, space2 - space1 - 1);
  record.path = record.path.substr(0, record.path.find('?'));
  for (size_t at = line_end + 2; at < request.size();) {
    size_t end = request.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    std::string line = request.substr(at, end - at);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      record.headers[ascii_lower(trim_ascii_space(line.substr(0, colon)))] = trim_ascii_space(line.substr(colon + 1));
    }
    at = end + 2;
  }

  HttpRoute route;
  bool cut = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(record);
    auto it = routes_.find(record.path);
    if (it == routes_.end()) {
      route.status = 404;
    } else {
      route = it->second;
      if (record.method == "GET" && it->second.cut_times > 0) {
        it->second.cut_times--;
        cut = true;
      }
    }
  }

  int status = route.status;
  std::string body = route.body;
  std::vector<std::pair<std::string, std::string>> headers = route.headers;
  std::string range = record.header("range");
  if (status == 200 && range.rfind("bytes=", 0) == 0) {
    size_t total = body.size();
    size_t dash = range.find('-');
    size_t first_byte = std::strtoull(range.c_str() + 6, nullptr, 10);
    size_t last_byte = dash + 1 < range.size() ? std::strtoull(range.c_str() + dash + 1, nullptr, 10)
                                               : total - 1;
    if (first_byte >= total) {
      status = 416;
      body.clear();
      headers.emplace_back("Content-Range", "bytes */" + std::to_string(total));
    } else {
      last_byte = std::min(last_byte, total - 1);
      status = 206;
      body = body.substr(first_byte, last_byte - first_byte + 1);
      headers.emplace_back("Content-Range", "bytes " + std::to_string(first_byte) + "-" +
                                                std::to_string(last_byte) + "/" +
                                                std::to_string(total));
    }
  }

  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    head += name + ": " + value + "\r\n";
    if (ascii_lower(name) == "content-length") has_length = true;
  }
  if (!has_length) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  head += "Connection: close\r\n\r\n";
  if (!send_all(connection, head.data(), head.size()) || record.method == "HEAD") return;
  size_t length = cut ? std::min(route.cut_after, body.size()) : body.size();
  send_all(connection, body.data(), length);
}

int unused_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  int port = bound_port(fd);
  ::close(fd);
  return port;
}

}  // namespace hc::test
