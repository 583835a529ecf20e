#include "hc/core/config.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {
// Where values come from: a YAML file (errors give file:line) or one --set argument.
struct ConfigSource {
  std::string name;
  bool has_lines = false;
  std::map<std::string, std::string> assigned;  // key -> where, to catch duplicates in a file
  // A config file's folder: relative paths in the file are relative to it. Empty for --set and
  // command-line flags, whose paths are relative to the working directory.
  fs::path base_dir;
};
}  // namespace detail

namespace {
using Source = detail::ConfigSource;

std::string where(const Source& source, const YAML::Node& node) {
  if (!source.has_lines) return source.name;
  YAML::Mark mark = node.Mark();
  if (mark.line < 0) return source.name;
  return fmt::format("{}:{}", source.name, mark.line + 1);
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "an empty value";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a section (map)";
    default:
      return "nothing";
  }
}

// What the parsers need to word an error: the source and the key path.
struct Context {
  const Source& source;
  const std::string& key;
  const YAML::Node& key_node;  // an empty value has no place of its own: its key's is used
};

[[noreturn]] void mismatch(const Context& context, const YAML::Node& node,
                           const std::string& subscript, const std::string& expected) {
  const YAML::Node& place = node.IsNull() && subscript.empty() ? context.key_node : node;
  throw usage_error("{}: {}{}: expected {}, got {}", where(context.source, place), context.key,
                    subscript, expected, describe_node(node));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// ${NAME} in paths is replaced by the environment variable, so configs can point into
// $HC_SHARED_DIR or $HOME without hard-coding a machine's layout.
fs::path expand_environment(const std::string& text, const Context& context,
                            const YAML::Node& node) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find("${", i);
    if (open == std::string::npos) break;
    std::size_t close = text.find('}', open + 2);
    if (close == std::string::npos) break;
    std::string name = text.substr(open + 2, close - open - 2);
    const char* value = std::getenv(name.c_str());
    if (!value) {
      throw usage_error("{}: {}: environment variable '{}' is not set", where(context.source, node),
                        context.key, name);
    }
    out.append(text, i, open - i);
    out += value;
    i = close + 1;
  }
  out.append(text, i, std::string::npos);
  return fs::path(out);
}

// --- parsing one YAML node into each field type -----------------------------------------

void parse(const YAML::Node& node, bool& out, const Context& context, const std::string& sub) {
  if (node.IsScalar()) {
    std::string text = lower(node.Scalar());
    if (text == "true" || text == "yes" || text == "on") {
      out = true;
      return;
    }
    if (text == "false" || text == "no" || text == "off") {
      out = false;
      return;
    }
  }
  mismatch(context, node, sub, "true or false");
}

template <typename Integer>
void parse_integer(const YAML::Node& node, Integer& out, const Context& context,
                   const std::string& sub) {
  if (!node.IsScalar()) mismatch(context, node, sub, "an integer");
  const std::string& text = node.Scalar();
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [stop, error] = std::from_chars(begin, end, out);
  if (error == std::errc::result_out_of_range) {
    mismatch(context, node, sub,
             fmt::format("an integer between {} and {}", std::numeric_limits<Integer>::min(),
                         std::numeric_limits<Integer>::max()));
  }
  if (error != std::errc() || stop != end || begin == end) mismatch(context, node, sub, "an integer");
}

void parse(const YAML::Node& node, int& out, const Context& context, const std::string& sub) {
  parse_integer(node, out, context, sub);
}

void parse(const YAML::Node& node, std::int64_t& out, const Context& context,
           const std::string& sub) {
  parse_integer(node, out, context, sub);
}

void parse(const YAML::Node& node, double& out, const Context& context, const std::string& sub) {
  if (!node.IsScalar()) mismatch(context, node, sub, "a number");
  std::string text = node.Scalar();
  std::string special = lower(text);
  if (special == ".inf" || special == "+.inf") {
    out = std::numeric_limits<double>::infinity();
    return;
  }
  if (special == "-.inf") {
    out = -std::numeric_limits<double>::infinity();
    return;
  }
  if (special == ".nan") {
    out = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [stop, error] = std::from_chars(begin, end, out);
  if (error != std::errc() || stop != end || begin == end) mismatch(context, node, sub, "a number");
}

void parse(const YAML::Node& node, std::string& out, const Context& context,
           const std::string& sub) {
  if (!node.IsScalar()) mismatch(context, node, sub, "a string");
  out = node.Scalar();
}

// A relative path from a config file, taken relative to the file's folder.
fs::path relative_to_source(const fs::path& path, const Source& source) {
  if (path.empty() || path.is_absolute() || source.base_dir.empty()) return path;
  return (source.base_dir / path).lexically_normal();
}

// A string that may be a path or a name (a model folder or a hub id): taken as a path relative
// to the config file when it says so ("./x", "../x") or names something there.
std::string relative_name_to_source(const std::string& text, const Source& source) {
  if (text.empty() || source.base_dir.empty() || fs::path(text).is_absolute()) return text;
  const bool says_relative = text.rfind("./", 0) == 0 || text.rfind("../", 0) == 0;
  const fs::path candidate = (source.base_dir / text).lexically_normal();
  std::error_code ignored;
  if (says_relative || fs::exists(candidate, ignored)) return candidate.string();
  return text;
}

void parse(const YAML::Node& node, fs::path& out, const Context& context, const std::string& sub) {
  if (!node.IsScalar()) mismatch(context, node, sub, "a path");
  out = relative_to_source(expand_environment(node.Scalar(), context, node), context.source);
}

template <typename T>
std::string plural_name() {
  if constexpr (std::is_same_v<T, bool>) return "true/false values";
  if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::int64_t>) return "integers";
  if constexpr (std::is_same_v<T, double>) return "numbers";
  if constexpr (std::is_same_v<T, std::string>) return "strings";
  if constexpr (std::is_same_v<T, fs::path>) return "paths";
}

template <typename T>
void parse(const YAML::Node& node, std::vector<T>& out, const Context& context,
           const std::string& sub) {
  if (!node.IsSequence()) mismatch(context, node, sub, "a list of " + plural_name<T>());
  std::vector<T> values(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    parse(node[i], values[i], context, fmt::format("{}[{}]", sub, i));
  }
  out = std::move(values);
}

template <typename T>
void parse(const YAML::Node& node, std::map<std::string, T>& out, const Context& context,
           const std::string& sub);

template <typename T>
void parse(const YAML::Node& node, std::optional<T>& out, const Context& context,
           const std::string& sub) {
  if (node.IsNull()) {
    out.reset();
    return;
  }
  T value;
  parse(node, value, context, sub);
  out = std::move(value);
}

template <typename T>
void parse(const YAML::Node& node, std::map<std::string, T>& out, const Context& context,
           const std::string& sub) {
  if (node.IsNull()) {  // `grid:` with nothing under it: an empty map
    out.clear();
    return;
  }
  if (!node.IsMap()) mismatch(context, node, sub, "a map of names to values");
  std::map<std::string, T> values;
  for (const auto& pair : node) {
    YAML::Node name = pair.first;
    YAML::Node value = pair.second;
    if (!name.IsScalar()) mismatch(context, name, sub, "a name as map key");
    const std::string element = fmt::format("{}[{}]", sub, name.Scalar());
    if (values.count(name.Scalar())) {
      throw usage_error("{}: {}{}: duplicate name", where(context.source, name), context.key,
                        element);
    }
    parse(value, values[name.Scalar()], context, element);
  }
  out = std::move(values);
}

// --- type names, JSON and YAML output ---------------------------------------------------

template <typename T>
struct TypeName {
  static std::string get() {
    if constexpr (std::is_same_v<T, bool>) return "boolean";
    if constexpr (std::is_same_v<T, int>) return "integer";
    if constexpr (std::is_same_v<T, std::int64_t>) return "integer (64-bit)";
    if constexpr (std::is_same_v<T, double>) return "number";
    if constexpr (std::is_same_v<T, std::string>) return "string";
    if constexpr (std::is_same_v<T, fs::path>) return "path";
  }
};
template <typename T>
struct TypeName<std::vector<T>> {
  static std::string get() { return "list of " + plural_name<T>(); }
};
template <typename T>
struct TypeName<std::optional<T>> {
  static std::string get() { return "optional " + TypeName<T>::get(); }
};
template <typename T>
struct TypeName<std::map<std::string, T>> {
  static std::string get() {
    if constexpr (is_config_scalar_v<T>) {
      return "map of names to " + plural_name<T>();
    } else {
      return "map of names to lists of " + plural_name<typename T::value_type>();
    }
  }
};

template <typename T>
json to_json_value(const T& value) {
  if constexpr (std::is_same_v<T, fs::path>) {
    return value.string();
  } else if constexpr (std::is_same_v<T, double>) {
    return std::isfinite(value) ? json(value) : json(detail::render_value(value));
  } else {
    return value;
  }
}
template <typename T>
json to_json_value(const std::vector<T>& values) {
  json list = json::array();
  for (const auto& v : values) list.push_back(to_json_value(v));
  return list;
}
template <typename T>
json to_json_value(const std::optional<T>& value) {
  return value ? to_json_value(*value) : json(nullptr);
}
template <typename T>
json to_json_value(const std::map<std::string, T>& values) {
  json object = json::object();
  for (const auto& [name, value] : values) object[name] = to_json_value(value);
  return object;
}

// Doubles as the shortest text that reads back exactly, in YAML's spelling of the specials.
std::string yaml_double(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

void emit(YAML::Emitter& out, bool value) { out << value; }
void emit(YAML::Emitter& out, int value) { out << value; }
void emit(YAML::Emitter& out, std::int64_t value) { out << value; }
void emit(YAML::Emitter& out, double value) { out << yaml_double(value); }
void emit(YAML::Emitter& out, const std::string& value) {
  // Force quotes where a plain scalar would read back as something else (null).
  std::string folded = lower(value);
  if (value.empty() || folded == "null" || folded == "~") {
    out << YAML::DoubleQuoted << value;
  } else {
    out << value;
  }
}
void emit(YAML::Emitter& out, const fs::path& value) { emit(out, value.string()); }
template <typename T>
void emit(YAML::Emitter& out, const std::vector<T>& values) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& v : values) emit(out, v);
  out << YAML::EndSeq;
}
template <typename T>
void emit(YAML::Emitter& out, const std::map<std::string, T>& values) {
  out << YAML::Flow << YAML::BeginMap;
  for (const auto& [name, value] : values) {
    out << YAML::Key << name << YAML::Value;
    emit(out, value);
  }
  out << YAML::EndMap;
}
template <typename T>
void emit(YAML::Emitter& out, const std::optional<T>& value) {
  if (value) {
    emit(out, *value);
  } else {
    out << YAML::Null;
  }
}

template <typename T>
inline constexpr bool is_text_v =
    std::is_same_v<T, std::string> || std::is_same_v<T, fs::path> ||
    std::is_same_v<T, std::optional<std::string>> || std::is_same_v<T, std::optional<fs::path>>;

template <typename T>
inline constexpr bool is_optional_v = false;
template <typename T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

// Edits between two names, a swap of neighbours counting as one ("stpes" is one from "steps").
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

bool valid_key_part(const std::string& part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

}  // namespace

// --- entries and the key tree -----------------------------------------------------------

namespace detail {

struct ConfigFlagSpec {
  std::string names;
  std::optional<std::string> fixed_value;
};

struct ConfigEntry {
  std::string key;    // as declared
  std::string shown;  // the whole path errors show (a list element's: "a.b[1].key")
  std::string help;
  std::string type_name;
  std::string default_text;
  bool required = false;
  bool takes_text = false;  // string-like: --set takes the text as it is
  bool nullable = false;    // optional: null unsets it
  bool is_bool = false;
  bool is_list = false;              // a list of scalars
  bool list_takes_text = false;      // a list of strings or paths
  bool relative_to_config = false;   // string key: see ConfigKey::relative_to_config
  std::vector<ConfigFlagSpec> flags;
  std::string origin;       // empty while the default stands
  std::function<void(const YAML::Node& value, const Source&, const YAML::Node& key_node)> assign;
  std::function<json()> to_json;
  std::function<void(YAML::Emitter&)> emit;
  std::vector<std::function<std::optional<CheckFailure>()>> checks;
};

void add_check(ConfigEntry& entry, std::function<std::optional<CheckFailure>()> check) {
  entry.checks.push_back(std::move(check));
}

void mark_required(ConfigEntry& entry) { entry.required = true; }

void add_flag(ConfigEntry& entry, std::string names, std::optional<std::string> fixed_value) {
  entry.flags.push_back({std::move(names), std::move(fixed_value)});
}

void mark_relative_to_config(ConfigEntry& entry) { entry.relative_to_config = true; }

std::string render_value(bool value) { return value ? "true" : "false"; }
std::string render_value(int value) { return std::to_string(value); }
std::string render_value(std::int64_t value) { return std::to_string(value); }
std::string render_value(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{}", value);
}
std::string render_value(const std::string& value) { return "'" + value + "'"; }
std::string render_value(const fs::path& value) { return "'" + value.string() + "'"; }

std::string join_choices(const std::vector<std::string>& choices) {
  return fmt::format("{}", fmt::join(choices, ", "));
}

bool path_exists(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(path, ignored);
}

}  // namespace detail

namespace {

// A section of the key tree, or a leaf holding one entry.
struct KeyNode {
  std::string name;  // the last part of the path
  std::string path;  // the whole dotted path; empty for the root
  std::unique_ptr<detail::ConfigEntry> entry;
  std::vector<std::unique_ptr<KeyNode>> children;  // in declaration order

  KeyNode* child(const std::string& part) const {
    for (const auto& c : children) {
      if (c->name == part) return c.get();
    }
    return nullptr;
  }

  std::vector<std::string> sorted_child_names() const {
    std::vector<std::string> names;
    for (const auto& c : children) names.push_back(c->name);
    std::sort(names.begin(), names.end());
    return names;
  }
};

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// "unknown key 'retrieval.stpes'; valid keys under 'retrieval': root, steps (did you mean
// 'retrieval.steps'?)"
std::string unknown_key(const KeyNode& section, const std::string& key, const std::string& part) {
  std::string scope = section.path.empty() ? std::string("valid top-level keys")
                                           : fmt::format("valid keys under '{}'", section.path);
  auto names = section.sorted_child_names();
  std::string message =
      fmt::format("unknown key '{}'; {}: {}", key, scope, detail::join_choices(names));
  const std::string* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(1, part.size() / 3) + 1;  // suggest below it
  for (const auto& name : names) {
    std::size_t distance = edit_distance(lower(part), lower(name));
    if (distance < best_distance) {
      best_distance = distance;
      best = &name;
    }
  }
  if (best) message += fmt::format(" (did you mean '{}'?)", join_path(section.path, *best));
  return message;
}

void emit_section(YAML::Emitter& out, const KeyNode& section);

std::string section_keys(const KeyNode& section) {
  return detail::join_choices(section.sorted_child_names());
}

}  // namespace

struct ConfigSchema::Impl {
  KeyNode root;
  std::vector<detail::ConfigEntry*> entries;  // declaration order

  detail::ConfigEntry& insert(std::unique_ptr<detail::ConfigEntry> entry) {
    const std::string key = entry->key;
    KeyNode* node = &root;
    for (const auto& part : split_key(key)) {
      if (!valid_key_part(part)) {
        throw std::logic_error(fmt::format("config key '{}': parts must be letters, digits, "
                                           "'_' or '-'", key));
      }
      if (node->entry) {
        throw std::logic_error(
            fmt::format("config key '{}' lies under '{}', which is a value", key, node->path));
      }
      KeyNode* next = node->child(part);
      if (!next) {
        auto created = std::make_unique<KeyNode>();
        created->name = part;
        created->path = join_path(node->path, part);
        next = created.get();
        node->children.push_back(std::move(created));
      }
      node = next;
    }
    if (node->entry) throw std::logic_error(fmt::format("config key '{}' declared twice", key));
    if (!node->children.empty()) {
      throw std::logic_error(fmt::format("config key '{}' is already a section", key));
    }
    entry->shown = node->path;
    node->entry = std::move(entry);
    entries.push_back(node->entry.get());
    return *node->entry;
  }

  const KeyNode* find(const std::string& key) const {
    const KeyNode* node = &root;
    for (const auto& part : split_key(key)) {
      node = node->child(part);
      if (!node) return nullptr;
    }
    return node;
  }

  const detail::ConfigEntry& entry(const std::string& key) const {
    const KeyNode* node = find(key);
    if (!node || !node->entry) {
      throw std::logic_error(fmt::format("config key '{}' is not declared", key));
    }
    return *node->entry;
  }

  // Walks dotted parts from section; throws the unknown-key error at `place`.
  KeyNode& resolve(KeyNode& section, const std::string& dotted, const std::string& shown_key,
                   const std::string& place) {
    KeyNode* node = &section;
    for (const auto& part : split_key(dotted)) {
      if (node->entry) {
        throw usage_error("{}: unknown key '{}': '{}' is a value, not a section", place, shown_key,
                          node->path);
      }
      KeyNode* next = node->child(part);
      if (!next) throw usage_error("{}: {}", place, unknown_key(*node, shown_key, part));
      node = next;
    }
    return *node;
  }

  void apply_value(const YAML::Node& value, KeyNode& node, Source& source,
                   const YAML::Node& key_node) {
    if (node.entry) {
      bool own_place = !value.IsNull() && value.Mark().line >= 0;
      std::string place = where(source, own_place ? value : key_node);
      if (source.has_lines) {
        auto [previous, fresh] = source.assigned.emplace(node.path, place);
        if (!fresh) {
          throw usage_error("{}: duplicate key '{}' (already given at {})", place, node.path,
                            previous->second);
        }
      }
      node.entry->assign(value, source, key_node);
      node.entry->origin = place;
    } else if (value.IsMap()) {
      apply_map(value, node, source);
    } else if (!value.IsNull()) {  // an empty section is allowed: everything commented out
      throw usage_error("{}: {}: expected a section with keys {}, got {}", where(source, value),
                        node.path, section_keys(node), describe_node(value));
    }
  }

  void apply_map(const YAML::Node& map, KeyNode& section, Source& source) {
    for (const auto& pair : map) {
      YAML::Node key_node = pair.first;  // copies of the handles: the iterator's are temporaries
      YAML::Node value = pair.second;
      if (!key_node.IsScalar()) {
        throw usage_error("{}: config keys must be names, got {}", where(source, key_node),
                          describe_node(key_node));
      }
      const std::string& name = key_node.Scalar();
      std::string shown = join_path(section.path, name);
      KeyNode& node = resolve(section, name, shown, where(source, key_node));
      apply_value(value, node, source, key_node);
    }
  }
};

ConfigSchema::ConfigSchema() : impl_(std::make_unique<Impl>()) {}
ConfigSchema::~ConfigSchema() = default;
ConfigSchema::ConfigSchema(ConfigSchema&&) noexcept = default;
ConfigSchema& ConfigSchema::operator=(ConfigSchema&&) noexcept = default;

template <typename T>
detail::ConfigEntry& ConfigSchema::declare(const std::string& key, T& field, std::string help) {
  auto entry = std::make_unique<detail::ConfigEntry>();
  entry->key = key;
  entry->help = std::move(help);
  entry->type_name = TypeName<T>::get();
  entry->default_text = detail::render_value(field);
  entry->takes_text = is_text_v<T>;
  entry->nullable = is_optional_v<T>;
  entry->is_bool = std::is_same_v<T, bool>;
  entry->is_list = is_config_list_v<T>;
  if constexpr (is_config_list_v<T>) {
    entry->list_takes_text = std::is_same_v<typename T::value_type, std::string> ||
                             std::is_same_v<typename T::value_type, fs::path>;
  }
  T* target = &field;
  const detail::ConfigEntry* self = entry.get();
  entry->assign = [target, self](const YAML::Node& node, const Source& source,
                                 const YAML::Node& key_node) {
    T value{};
    parse(node, value, Context{source, self->shown, key_node}, "");
    if constexpr (std::is_same_v<T, std::string>) {
      if (self->relative_to_config) value = relative_name_to_source(value, source);
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      if (self->relative_to_config && value) *value = relative_name_to_source(*value, source);
    }
    *target = std::move(value);  // only a value that parsed whole replaces the field
  };
  entry->to_json = [target] { return to_json_value(*target); };
  entry->emit = [target](YAML::Emitter& out) { emit(out, *target); };
  return impl_->insert(std::move(entry));
}

#define HC_CONFIG_DECLARE(...)                                                        \
  template detail::ConfigEntry& ConfigSchema::declare<__VA_ARGS__>(const std::string&, \
                                                                   __VA_ARGS__&, std::string);
#define HC_CONFIG_DECLARE_ALL(T)                       \
  HC_CONFIG_DECLARE(T)                                 \
  HC_CONFIG_DECLARE(std::optional<T>)                  \
  HC_CONFIG_DECLARE(std::vector<T>)                    \
  HC_CONFIG_DECLARE(std::map<std::string, T>)          \
  HC_CONFIG_DECLARE(std::map<std::string, std::vector<T>>)
HC_CONFIG_DECLARE(bool)
HC_CONFIG_DECLARE(std::optional<bool>)
HC_CONFIG_DECLARE(std::map<std::string, bool>)
HC_CONFIG_DECLARE_ALL(int)
HC_CONFIG_DECLARE_ALL(std::int64_t)
HC_CONFIG_DECLARE_ALL(double)
HC_CONFIG_DECLARE_ALL(std::string)
HC_CONFIG_DECLARE_ALL(fs::path)
#undef HC_CONFIG_DECLARE_ALL
#undef HC_CONFIG_DECLARE

detail::ConfigEntry& ConfigSchema::declare_list(const std::string& key,
                                                detail::RecordListBinding binding,
                                                std::string help) {
  auto entry = std::make_unique<detail::ConfigEntry>();
  entry->key = key;
  entry->help = std::move(help);
  entry->type_name = "list of records";
  const detail::ConfigEntry* self = entry.get();
  auto shared = std::make_shared<detail::RecordListBinding>(std::move(binding));
  // Each element gets a schema of its own whose key paths read "key[i].name" in errors.
  auto item_schema = [shared, self](std::size_t i) {
    ConfigSchema item;
    item.impl_->root.path = fmt::format("{}[{}]", self->shown, i);
    shared->declare_item(i, item);
    return item;
  };
  entry->assign = [shared, self, item_schema](const YAML::Node& node, const Source& source,
                                              const YAML::Node& key_node) {
    if (node.IsNull()) {
      shared->reset(0);
      return;
    }
    if (!node.IsSequence()) {
      mismatch(Context{source, self->shown, key_node}, node, "", "a list of sections (maps)");
    }
    shared->reset(node.size());
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node element = node[i];
      ConfigSchema item = item_schema(i);
      if (element.IsMap()) {
        Source item_source{source.name, source.has_lines, {}, source.base_dir};
        item.impl_->apply_map(element, item.impl_->root, item_source);
      } else if (!element.IsNull()) {
        mismatch(Context{source, self->shown, key_node}, element, fmt::format("[{}]", i),
                 "a section with keys " + section_keys(item.impl_->root));
      }
      item.validate();
    }
  };
  entry->to_json = [shared, item_schema] {
    json list = json::array();
    for (std::size_t i = 0; i < shared->size(); ++i) list.push_back(item_schema(i).to_json());
    return list;
  };
  entry->emit = [shared, item_schema](YAML::Emitter& out) {
    out << YAML::BeginSeq;
    for (std::size_t i = 0; i < shared->size(); ++i) {
      ConfigSchema item = item_schema(i);
      emit_section(out, item.impl_->root);
    }
    out << YAML::EndSeq;
  };
  entry->default_text = shared->size() == 0 ? "[]" : fmt::format("{} entries", shared->size());
  detail::ConfigEntry& inserted = impl_->insert(std::move(entry));
  // Defaults are checked like given values: a declared default list must itself be valid.
  return inserted;
}

ConfigListKey& ConfigListKey::check_non_empty() {
  auto size = size_;
  detail::add_check(*entry_, [size]() -> std::optional<detail::CheckFailure> {
    if (size() > 0) return std::nullopt;
    return detail::CheckFailure{"", "a non-empty list", "[]"};
  });
  return *this;
}

void ConfigSchema::load_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw usage_error("config file '{}' not found", file.string());
  if (fs::is_directory(file, ec)) {
    throw usage_error("config file '{}' is a folder, not a YAML file", file.string());
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw usage_error("cannot read config file '{}'", file.string());
  fs::path base = file.parent_path();
  load_yaml(text.str(), file.string(), base.empty() ? fs::path(".") : base);
}

void ConfigSchema::load_text(const std::string& yaml, const std::string& source_name) {
  load_yaml(yaml, source_name, fs::path());
}

void ConfigSchema::load_yaml(const std::string& yaml, const std::string& source_name,
                             const fs::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw usage_error("{}:{}: invalid YAML: {}", source_name, e.mark.line + 1, e.msg);
  }
  if (root.IsNull()) return;  // an empty file changes nothing
  Source source{source_name, true, {}, base_dir};
  if (!root.IsMap()) {
    throw usage_error("{}: expected config keys (a YAML map) at the top level, got {}",
                      where(source, root), describe_node(root));
  }
  impl_->apply_map(root, impl_->root, source);
}

namespace {
std::string trim(std::string text) {
  const char* space = " \t";
  text.erase(0, text.find_first_not_of(space));
  text.erase(text.find_last_not_of(space) + 1);
  return text;
}
}  // namespace

void ConfigSchema::apply_override(const std::string& assignment) {
  std::size_t equals = assignment.find('=');
  if (equals == std::string::npos) {
    throw usage_error("--set '{}': expected KEY=VALUE, e.g. --set retrieval.steps=20", assignment);
  }
  set_value(assignment.substr(0, equals), assignment.substr(equals + 1), "--set " + assignment);
}

void ConfigSchema::set_value(const std::string& raw_key, const std::string& raw_value,
                             const std::string& source_name) {
  std::string key = trim(raw_key);
  std::vector<std::string> parts = key.empty() ? std::vector<std::string>{} : split_key(key);
  if (parts.empty() || !std::all_of(parts.begin(), parts.end(), valid_key_part)) {
    throw usage_error("{}: '{}' is no key path; expected KEY=VALUE, e.g. retrieval.steps=20",
                      source_name, key);
  }
  std::string text = trim(raw_value);
  Source source{source_name, false, {}, {}};
  KeyNode& node = impl_->resolve(impl_->root, key, key, source.name);

  YAML::Node value;
  bool quoted = !text.empty() && (text.front() == '"' || text.front() == '\'');
  if (node.entry && node.entry->takes_text && !quoted) {
    // Strings and paths take the text as typed: "a photo of {}" is not YAML flow syntax.
    std::string folded = lower(text);
    bool unset = node.entry->nullable && (text.empty() || folded == "null" || folded == "~");
    value = unset ? YAML::Node(YAML::NodeType::Null) : YAML::Node(text);
  } else {
    try {
      value = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      throw usage_error("{}: {}: invalid YAML value: {}", source.name, key, e.msg);
    }
  }
  impl_->apply_value(value, node, source, value);
}

void ConfigSchema::set_values(const std::string& raw_key, const std::vector<std::string>& values,
                              const std::string& source_name) {
  const std::string key = trim(raw_key);
  Source source{source_name, false, {}, {}};
  KeyNode& node = impl_->resolve(impl_->root, key, key, source.name);
  if (!node.entry || !node.entry->is_list) {
    throw std::logic_error(fmt::format("config key '{}' takes no list of values", key));
  }
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& raw : values) {
    const std::string text = trim(raw);
    if (node.entry->list_takes_text) {
      list.push_back(YAML::Node(text));
      continue;
    }
    try {
      list.push_back(YAML::Load(text));
    } catch (const YAML::ParserException& e) {
      throw usage_error("{}: {}: invalid YAML value '{}': {}", source.name, key, text, e.msg);
    }
  }
  impl_->apply_value(list, node, source, list);
}

std::vector<ConfigFlag> ConfigSchema::flags() const {
  std::vector<ConfigFlag> flags;
  for (const auto* entry : impl_->entries) {
    for (const auto& spec : entry->flags) {
      flags.push_back(ConfigFlag{spec.names, entry->key, entry->help, spec.fixed_value,
                                 entry->is_list, entry->is_bool});
    }
  }
  return flags;
}

void ConfigSchema::validate(bool require_all) const {
  for (const auto* entry : impl_->entries) {
    if (require_all && entry->required && entry->origin.empty()) {
      throw usage_error("missing required key '{}' ({}): give it in a --config file or with "
                        "--set {}=...",
                        entry->shown, entry->help, entry->shown);
    }
    for (const auto& check : entry->checks) {
      if (auto failure = check()) {
        std::string place = entry->origin.empty() ? "" : entry->origin + ": ";
        throw usage_error("{}{}{}: expected {}, got {}", place, entry->shown, failure->subscript,
                          failure->expected, failure->got);
      }
    }
  }
}

bool ConfigSchema::contains(const std::string& key) const {
  const KeyNode* node = impl_->find(key);
  return node && node->entry;
}

bool ConfigSchema::is_set(const std::string& key) const { return !impl_->entry(key).origin.empty(); }

std::string ConfigSchema::origin(const std::string& key) const {
  const auto& entry = impl_->entry(key);
  return entry.origin.empty() ? "default" : entry.origin;
}

std::vector<std::string> ConfigSchema::keys() const {
  std::vector<std::string> keys;
  for (const auto* entry : impl_->entries) keys.push_back(entry->key);
  return keys;
}

json ConfigSchema::to_json() const {
  json root = json::object();
  for (const auto* entry : impl_->entries) {
    json* node = &root;
    auto parts = split_key(entry->key);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
    (*node)[parts.back()] = entry->to_json();
  }
  return root;
}

namespace {
void emit_section(YAML::Emitter& out, const KeyNode& section) {
  out << YAML::BeginMap;
  for (const auto& child : section.children) {
    out << YAML::Key << child->name << YAML::Value;
    if (child->entry) {
      child->entry->emit(out);
      if (!child->entry->help.empty()) out << YAML::Comment(child->entry->help);
    } else {
      emit_section(out, *child);
    }
  }
  out << YAML::EndMap;
}
}  // namespace

std::string ConfigSchema::to_yaml() const {
  YAML::Emitter out;
  out.SetIndent(2);
  emit_section(out, impl_->root);
  return std::string(out.c_str()) + "\n";
}

std::string ConfigSchema::describe() const {
  std::size_t width = 0;
  for (const auto* entry : impl_->entries) width = std::max(width, entry->key.size());
  std::string text;
  for (const auto* entry : impl_->entries) {
    std::string value = entry->required ? "required" : "default " + entry->default_text;
    text += fmt::format("  {:<{}}  {} ({}, {})\n", entry->key, width, entry->help,
                        entry->type_name, value);
  }
  return text;
}

}  // namespace hc
