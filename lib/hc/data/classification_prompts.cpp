#include "hc/data/classification_prompts.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hc/core/error.h"
#include "hc/core/strings.h"
#include "hc/io/text_file.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// A quoted Python string item ('x', or "x",) of one list line.
std::string list_item(const std::string& line, const fs::path& file, std::size_t number) {
  const std::string item = trim(line);
  const char quote = item.empty() ? '\0' : item.front();
  const std::size_t end = (quote == '\'' || quote == '"') ? item.rfind(quote) : std::string::npos;
  if (end == std::string::npos || end == 0) {
    throw runtime_error("{}:{}: expected a quoted string item, got '{}'", file.string(), number, item);
  }
  std::string value;
  for (std::size_t i = 1; i < end; ++i) {
    if (item[i] == '\\' && i + 1 < end) ++i;  // \' and \" inside the string
    value += item[i];
  }
  return value;
}

}  // namespace

ClassificationPrompts read_classification_prompts(const fs::path& file, const std::string& dataset) {
  if (!fs::is_regular_file(file)) throw runtime_error("{}: no such prompts file", file.string());
  LineReader reader(file);
  std::string line;
  ClassificationPrompts prompts;
  prompts.dataset = dataset;
  std::vector<std::string> sections;
  bool inside = false, found = false;
  std::vector<std::string>* list = nullptr;
  std::size_t list_line = 0;
  while (reader.next(line)) {
    if (starts_with(line, "## ")) {
      if (list != nullptr) break;
      sections.push_back(trim(line.substr(3)));
      inside = sections.back() == dataset;
      found = found || inside;
      continue;
    }
    if (!inside) continue;
    const std::string text = trim(line);
    if (list == nullptr) {
      if (starts_with(text, "classes = [")) list = &prompts.classes;
      if (starts_with(text, "templates = [")) list = &prompts.templates;
      list_line = reader.line_number();
    } else if (text == "]") {
      list = nullptr;
    } else if (!text.empty()) {
      list->push_back(list_item(text, file, reader.line_number()));
    }
  }
  if (!found) {
    throw usage_error("{}: no section '## {}'; it has {}", file.string(), dataset, fmt::join(sections, ", "));
  }
  if (list != nullptr) throw runtime_error("{}:{}: the list is not closed with ']'", file.string(), list_line);
  if (prompts.classes.empty() || prompts.templates.empty()) {
    throw runtime_error("{}: section '{}' lacks a {} list", file.string(), dataset,
                        prompts.classes.empty() ? "classes" : "templates");
  }
  return prompts;
}

}  // namespace hc
