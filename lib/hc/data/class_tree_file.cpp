#include "hc/data/class_tree_file.h"

#include <yaml-cpp/yaml.h>

#include "hc/core/error.h"
#include "hc/data/class_hierarchy_builder.h"
#include "hc/io/text_file.h"

namespace hc {

namespace {

std::size_t line_of(const YAML::Node& node) {
  const int line = node.Mark().line;
  return line >= 0 ? static_cast<std::size_t>(line) + 1 : 0;
}

std::string place(const std::string& source, const YAML::Node& node) {
  const std::size_t line = line_of(node);
  return line > 0 ? source + ":" + std::to_string(line) : source;
}

std::string scalar_name(const YAML::Node& node, const std::string& source) {
  if (!node.IsScalar()) {
    throw usage_error("{}: expected a class name, got a {}", place(source, node),
                      node.IsMap() ? "map" : node.IsSequence() ? "list" : "null");
  }
  return node.Scalar();
}

// Walks the tree depth first, one chain per finest class, in document order.
class TreeWalker {
 public:
  TreeWalker(std::string source, ClassHierarchyBuilder& builder)
      : source_(std::move(source)), builder_(builder) {}

  void walk(const YAML::Node& children, std::vector<std::string>& path, const YAML::Node& key) {
    if (children.IsSequence()) {
      if (children.size() == 0) empty_class(path, key);
      for (const YAML::Node& item : children) {
        path.push_back(scalar_name(item, source_));
        builder_.add_chain(path, line_of(item));
        path.pop_back();
      }
    } else if (children.IsMap()) {
      if (children.size() == 0) empty_class(path, key);
      for (const auto& entry : children) {
        path.push_back(scalar_name(entry.first, source_));
        walk(entry.second, path, entry.first);
        path.pop_back();
      }
    } else if (children.IsNull()) {
      empty_class(path, key);
    } else {
      throw usage_error("{}: class '{}' is followed by '{}': expected a map of classes or a list "
                        "of finest classes",
                        place(source_, children), path.empty() ? "classes" : path.back(),
                        children.Scalar());
    }
  }

 private:
  [[noreturn]] void empty_class(const std::vector<std::string>& path, const YAML::Node& key) {
    if (path.empty()) throw usage_error("{}: 'classes' is empty", place(source_, key));
    throw usage_error("{}: class '{}' has no class below it (an empty class)", place(source_, key),
                      path.back());
  }

  std::string source_;
  ClassHierarchyBuilder& builder_;
};

ClassHierarchy tree_from_document(const YAML::Node& document, const std::string& source,
                                  ClassHierarchyOptions options) {
  if (!document.IsMap()) {
    throw usage_error("{}: expected a map with 'classes' (and optionally 'levels')", source);
  }
  for (const auto& entry : document) {
    const std::string key = scalar_name(entry.first, source);
    if (key != "classes" && key != "levels") {
      throw usage_error("{}: unknown key '{}': expected 'classes' and optionally 'levels'",
                        place(source, entry.first), key);
    }
  }
  const YAML::Node classes = document["classes"];
  if (!classes) throw usage_error("{}: no 'classes' key", source);
  if (!classes.IsMap()) {
    throw usage_error("{}: 'classes' must map each most general class to the classes below it",
                      place(source, classes));
  }
  if (const YAML::Node levels = document["levels"]; levels && options.level_names.empty()) {
    if (!levels.IsSequence()) {
      throw usage_error("{}: 'levels' must be a list of level names", place(source, levels));
    }
    for (const YAML::Node& level : levels) options.level_names.push_back(scalar_name(level, source));
  }
  ClassHierarchyBuilder builder(source, options);
  TreeWalker walker(source, builder);
  std::vector<std::string> path;
  walker.walk(classes, path, classes);
  return std::move(builder).build();
}

YAML::Node load_yaml(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw usage_error("{}:{}: not valid YAML or JSON: {}", source, e.mark.line + 1, e.msg);
  }
}

}  // namespace

ClassHierarchy parse_class_tree(std::string_view text, const std::string& source,
                                const ClassHierarchyOptions& options) {
  return tree_from_document(load_yaml(text, source), source, options);
}

ClassHierarchy read_class_tree(const std::filesystem::path& file,
                               const ClassHierarchyOptions& options) {
  return parse_class_tree(read_text_file(file), file.string(), options);
}

}  // namespace hc
