#include "hc/text/text_records.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <iterator>
#include <string_view>

#include "hc/core/error.h"
#include "hc/core/strings.h"
#include "hc/io/text_file.h"
#include "hc/text/utf8.h"

namespace hc {
namespace {

constexpr const char* kStdinName = "<stdin>";

// JSONL by name; read_text_file decompresses .gz transparently, so texts.jsonl.gz counts too.
bool is_jsonl(const std::string& path) {
  return ends_with(path, ".jsonl") || ends_with(path, ".jsonl.gz");
}

std::string read_all(const std::string& path) {
  if (path != "-") return read_text_file(path);
  std::string content{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (std::cin.bad()) throw runtime_error("cannot read the texts from stdin");
  return content;
}

// Lines without their "\n" or "\r\n"; a final newline does not start another line.
std::vector<std::string_view> split_lines(std::string_view content) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string text_of_json_line(std::string_view line, const std::string& where) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw runtime_error("{}: not valid JSON ({})", where, e.what());
  }
  if (!json.is_object()) {
    throw runtime_error("{}: expected a JSON object with a \"text\" field, got {}", where,
                        json.type_name());
  }
  auto text = json.find("text");
  if (text == json.end() || !text->is_string()) {
    throw runtime_error("{}: expected a \"text\" field holding a string", where);
  }
  return text->get<std::string>();
}

}  // namespace

std::string TextRecords::where(std::size_t i) const {
  return source + ":" + std::to_string(lines.at(i));
}

TextRecords read_text_records(const std::string& path) {
  const std::string content = read_all(path);
  TextRecords records;
  records.source = path == "-" ? kStdinName : path;
  const bool jsonl = is_jsonl(path);
  const std::vector<std::string_view> lines = split_lines(content);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = records.source + ":" + std::to_string(i + 1);
    if (jsonl && lines[i].find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string text = jsonl ? text_of_json_line(lines[i], where) : std::string(lines[i]);
    text::decode_utf8(text, where);  // fail here, where the line is known
    records.texts.push_back(std::move(text));
    records.lines.push_back(i + 1);
  }
  return records;
}

}  // namespace hc
