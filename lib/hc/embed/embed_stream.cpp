#include "hc/embed/embed_stream.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <optional>
#include <ostream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hc/core/error.h"
#include "hc/core/fd_line_reader.h"
#include "hc/core/stop_signal.h"
#include "hc/embed/embedding_engine.h"

namespace hc {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // answers keep "id" first

namespace {

struct StreamRequest {
  json id;
  bool image = false;
  std::string value;  // the text, or the image's path
};

bool looks_like_json(const std::string& line) {
  const std::size_t first = line.find_first_not_of(" \t");
  return first != std::string::npos && line[first] == '{';
}

// Fills request from the line; throws a usage hc::Error saying what is wrong (request.id is set
// as soon as it is known, so the error line can echo it).
void parse_request(const std::string& line, StreamRequest& request) {
  if (!looks_like_json(line)) {
    request.value = line;
    return;
  }
  json object;
  try {
    object = json::parse(line);
  } catch (const json::parse_error& e) {
    throw usage_error("not a JSON object: {}", e.what());
  }
  if (!object.is_object()) throw usage_error("not a JSON object");
  if (object.contains("id")) request.id = object["id"];
  for (const auto& [key, value] : object.items()) {
    if (key != "id" && key != "text" && key != "image") {
      throw usage_error("unknown key \"{}\": a request has \"text\" or \"image\", and \"id\"", key);
    }
  }
  if (object.contains("text") == object.contains("image")) {
    throw usage_error("give exactly one of \"text\" and \"image\"");
  }
  request.image = object.contains("image");
  const json& value = object[request.image ? "image" : "text"];
  if (!value.is_string()) {
    throw usage_error("\"{}\" must be a string", request.image ? "image" : "text");
  }
  request.value = value.get<std::string>();
  if (request.image && request.value.empty()) throw usage_error("\"image\" is empty");
}

// The embedding as a JSON array, each float32 with its shortest round-trip digits (JSON numbers
// through double would print 17 digits of a value that has 9 at most).
std::string embedding_array(const at::Tensor& row) {
  const at::Tensor values = row.contiguous();
  const float* data = values.data_ptr<float>();
  std::string text = "[";
  for (int64_t i = 0; i < values.numel(); ++i) {
    if (i > 0) text += ',';
    fmt::format_to(std::back_inserter(text), "{}", data[i]);
  }
  text += ']';
  return text;
}

std::string error_line(const json& id, std::size_t line_number, const std::string& message) {
  return json{{"id", id}, {"error", fmt::format("line {}: {}", line_number, message)}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

at::Tensor embed_request(EmbeddingEngine& engine, const StreamRequest& request) {
  if (!request.image) return engine.embed_text(request.value);
  const fs::path path(request.value);
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    throw runtime_error("image {}: no such file", request.value);
  }
  return engine.embed_image(path);
}

}  // namespace

std::string answer_stream_request(EmbeddingEngine& engine, const std::string& line,
                                  std::size_t line_number, bool& failed) {
  StreamRequest request;
  request.id = line_number;
  failed = false;
  try {
    parse_request(line, request);
    const at::Tensor row = embed_request(engine, request);
    std::string response =
        json{{"id", request.id}, {"kind", request.image ? "image" : "text"}}.dump(
            -1, ' ', false, json::error_handler_t::replace);
    response.pop_back();  // the closing brace: the embedding goes last
    return response + ",\"embedding\":" + embedding_array(row) + "}";
  } catch (const std::exception& e) {  // hc::Error, or a torch error from the model
    failed = true;
    std::string message = e.what();
    message.resize(std::min(message.size(), message.find('\n')));  // torch adds a backtrace
    return error_line(request.id, line_number, message);
  }
}

EmbedStreamSummary serve_embed_stream(EmbeddingEngine& engine, int input_fd, std::ostream& out) {
  EmbedStreamSummary summary;
  FdLineReader reader(input_fd, "standard input");
  while (!stop_requested()) {
    const std::optional<std::string> line = reader.next();
    if (!line) break;
    bool failed = false;
    out << answer_stream_request(engine, *line, reader.line_number(), failed) << '\n'
        << std::flush;
    if (!out) throw runtime_error("hc embed --stream: cannot write the response to line {}",
                                  reader.line_number());
    ++summary.requests;
    if (failed && summary.failed++ == 0) summary.first_failed_line = reader.line_number();
  }
  summary.stopped = stop_requested();
  return summary;
}

}  // namespace hc
