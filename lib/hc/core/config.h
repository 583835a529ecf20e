#pragma once
// YAML configuration bound to typed fields (Kaldi's Options::Register idea): each module owns an
// options struct that declares its keys, defaults, help and checks in one place:
//
//   struct RetrievalOptions {
//     int steps = 50;
//     std::string root = "empty";
//     void declare(hc::ConfigSchema& schema) {
//       schema.add("retrieval.steps", steps, "number of radius levels").check_positive();
//       schema.add("retrieval.root", root, "empty, origin or mean").one_of({"empty", "origin", "mean"});
//     }
//   };
//
// A command declares the options it uses on one schema, then the layers are applied (the
// --config files, later ones win, the flags bound to keys, the --set overrides; see
// hc/core/config_layers.h) and the fields validated.
// Every mistake is a one-line hc::Error of Usage kind (exit 2) naming the file and line (or
// the --set argument), the key, and what was expected.
//
// Beyond scalars, keys bind to lists and optionals of scalars, to maps from names to scalars or
// lists (`grid: {loss.lambda_p: [0, 10]}`), and with add_list() to lists of records, each a
// struct declaring its own keys (`schedule: [{step: 0, lr: 1e-7}, {step: 500, lr: 1e-8}]`).
//
// Relative paths written in a config file are relative to that file's folder, so a config
// names its data the same way whatever the working directory; paths given on the command line
// (--set, flags) are relative to the working directory, as a shell user expects.
//
// A key can also be given on the command line through flags declared beside it:
//   schema.add("model.path", path, "CLIP model").flag("--model,-m");
// (see ConfigKey::flag); the tool layer (hc/tool/) turns them into command-line options.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hc {

class ConfigSchema;

// The scalar types a key can bind to; keys also bind to std::vector and std::optional of them
// (no std::vector<bool>).
template <typename T>
inline constexpr bool is_config_scalar_v =
    std::is_same_v<T, bool> || std::is_same_v<T, int> || std::is_same_v<T, std::int64_t> ||
    std::is_same_v<T, double> || std::is_same_v<T, std::string> ||
    std::is_same_v<T, std::filesystem::path>;

template <typename T>
struct config_element {
  using type = T;
};
template <typename T>
struct config_element<std::vector<T>> {
  using type = T;
};
template <typename T>
struct config_element<std::optional<T>> {
  using type = T;
};
template <typename T>
struct config_element<std::map<std::string, T>> {
  using type = T;
};

template <typename T>
inline constexpr bool is_config_list_v = false;
template <typename T>
inline constexpr bool is_config_list_v<std::vector<T>> =
    is_config_scalar_v<T> && !std::is_same_v<T, bool>;

template <typename T>
inline constexpr bool is_config_map_value_v = is_config_scalar_v<T> || is_config_list_v<T>;

template <typename T>
struct is_config_type : std::bool_constant<is_config_scalar_v<T>> {};
template <typename T>
struct is_config_type<std::vector<T>> : std::bool_constant<is_config_list_v<std::vector<T>>> {};
template <typename T>
struct is_config_type<std::optional<T>> : std::bool_constant<is_config_scalar_v<T>> {};
template <typename T>
struct is_config_type<std::map<std::string, T>>
    : std::bool_constant<is_config_map_value_v<T>> {};

template <typename T>
inline constexpr bool is_config_type_v = is_config_type<T>::value;

namespace detail {
struct ConfigEntry;

// One failed check: the element at fault ("[2]" in a list, "" for the value), what was
// expected and the value found.
struct CheckFailure {
  std::string subscript;
  std::string expected;
  std::string got;
};
void add_check(ConfigEntry& entry, std::function<std::optional<CheckFailure>()> check);
void mark_required(ConfigEntry& entry);
// fixed_value: the value a switch flag sets (no argument), or null for a flag taking a value.
void add_flag(ConfigEntry& entry, std::string names, std::optional<std::string> fixed_value);
void mark_relative_to_config(ConfigEntry& entry);

// Values as error messages show them: 'text' for strings and paths.
std::string render_value(bool value);
std::string render_value(int value);
std::string render_value(std::int64_t value);
std::string render_value(double value);
std::string render_value(const std::string& value);
std::string render_value(const std::filesystem::path& value);
template <typename T>
std::string render_value(const std::optional<T>& value) {
  return value ? render_value(*value) : "null";
}
template <typename T>
std::string render_value(const std::vector<T>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + render_value(values[i]);
  return text + "]";
}
template <typename T>
std::string render_value(const std::map<std::string, T>& values) {
  std::string text = "{";
  for (const auto& [name, value] : values) {
    text += (text.size() > 1 ? ", " : "") + name + ": " + render_value(value);
  }
  return text + "}";
}

// Calls visit(subscript, element) for the value, for an optional's value when set, or for each
// element of a list.
template <typename T, typename Visit>
void for_each_element(const T& value, Visit visit) {
  visit(std::string(), value);
}
template <typename T, typename Visit>
void for_each_element(const std::optional<T>& value, Visit visit) {
  if (value) visit(std::string(), *value);
}
template <typename T, typename Visit>
void for_each_element(const std::vector<T>& values, Visit visit) {
  for (std::size_t i = 0; i < values.size(); ++i) visit("[" + std::to_string(i) + "]", values[i]);
}
template <typename T, typename Visit>
void for_each_element(const std::map<std::string, T>& values, Visit visit) {
  for (const auto& [name, value] : values) visit("[" + name + "]", value);
}

// How add_list() reaches a std::vector<Record> without templates in config.cpp.
struct RecordListBinding {
  std::function<std::size_t()> size;
  std::function<void(std::size_t)> reset;  // n default-constructed records
  std::function<void(std::size_t, ConfigSchema&)> declare_item;
};

std::string join_choices(const std::vector<std::string>& choices);
bool path_exists(const std::filesystem::path& path);
}  // namespace detail

// A declared key: chain checks onto it. Checks run in hc::ConfigSchema::validate(), after all
// layers are applied, so they see the final value. Checks on a list or an optional apply to
// each element, or to the value when set.
template <typename T>
class ConfigKey {
 public:
  using element_type = typename config_element<T>::type;

  // The key has no usable default: a config file or --set must give it.
  ConfigKey& required() {
    detail::mark_required(*entry_);
    return *this;
  }

  // Command-line flags for the key, CLI11-style names: "--model,-m" (or "model" for a positional
  // argument). `--model X` does what `--set model.path=X` does, applied after the --config files
  // and before --set. On a boolean key the flag is a switch setting true; on a list key it takes
  // one or more values.
  ConfigKey& flag(std::string names) {
    detail::add_flag(*entry_, std::move(names), std::nullopt);
    return *this;
  }
  // A switch (no argument) setting the key to value, e.g. flag_value("--no-cache", "false").
  ConfigKey& flag_value(std::string names, std::string value) {
    detail::add_flag(*entry_, std::move(names), std::move(value));
    return *this;
  }
  // For a string key that holds a path or a name (a model folder or a hub id): a value written in
  // a config file that reads as a relative path ("./x", "../x", or one that exists relative to
  // the file's folder) is taken relative to that folder, like path keys.
  ConfigKey& relative_to_config() {
    static_assert(std::is_same_v<element_type, std::string>,
                  "relative_to_config is for string keys (path keys always are)");
    detail::mark_relative_to_config(*entry_);
    return *this;
  }

  // A check on the whole value; expectation completes "expected ..." in the error.
  ConfigKey& check(std::function<bool(const T&)> ok, std::string expectation) {
    const T* field = field_;
    detail::add_check(*entry_, [field, ok = std::move(ok), expectation = std::move(expectation)]()
                                   -> std::optional<detail::CheckFailure> {
      if (ok(*field)) return std::nullopt;
      return detail::CheckFailure{"", expectation, detail::render_value(*field)};
    });
    return *this;
  }

  // A check on each element (the value itself, an optional's value, each list item).
  ConfigKey& check_each(std::function<bool(const element_type&)> ok, std::string expectation) {
    const T* field = field_;
    detail::add_check(*entry_, [field, ok = std::move(ok), expectation = std::move(expectation)]()
                                   -> std::optional<detail::CheckFailure> {
      std::optional<detail::CheckFailure> failure;
      detail::for_each_element(*field, [&](const std::string& subscript, const element_type& v) {
        if (!failure && !ok(v)) {
          failure = detail::CheckFailure{subscript, expectation, detail::render_value(v)};
        }
      });
      return failure;
    });
    return *this;
  }

  ConfigKey& check_positive() {
    static_assert(is_number, "check_positive needs a numeric key");
    return check_each([](const element_type& v) { return v > 0; }, "a positive number");
  }
  ConfigKey& check_non_negative() {
    static_assert(is_number, "check_non_negative needs a numeric key");
    return check_each([](const element_type& v) { return v >= 0; }, "a number >= 0");
  }
  // Inclusive bounds.
  ConfigKey& check_range(double min, double max) {
    static_assert(is_number, "check_range needs a numeric key");
    return check_each(
        [min, max](const element_type& v) { return v >= min && v <= max; },
        "a number between " + detail::render_value(min) + " and " + detail::render_value(max));
  }
  ConfigKey& one_of(std::vector<std::string> choices) {
    static_assert(std::is_same_v<element_type, std::string>, "one_of needs a string key");
    std::string expected = "one of " + detail::join_choices(choices);
    return check_each(
        [choices = std::move(choices)](const std::string& v) {
          for (const auto& choice : choices) {
            if (v == choice) return true;
          }
          return false;
        },
        expected);
  }
  // Strings, paths and lists must not be empty.
  ConfigKey& check_non_empty() {
    return check([](const T& v) { return !is_empty(v); }, "a non-empty value");
  }
  // Paths must name an existing file or folder (relative to the working directory).
  ConfigKey& check_exists() {
    static_assert(std::is_same_v<element_type, std::filesystem::path>,
                  "check_exists needs a path key");
    return check_each([](const std::filesystem::path& p) { return detail::path_exists(p); },
                      "an existing file or folder");
  }

 private:
  friend class ConfigSchema;
  static constexpr bool is_number =
      std::is_arithmetic_v<element_type> && !std::is_same_v<element_type, bool>;

  ConfigKey(detail::ConfigEntry& entry, T& field) : entry_(&entry), field_(&field) {}

  template <typename U>
  static bool is_empty(const std::optional<U>& v) {
    return !v || is_empty(*v);
  }
  template <typename U>
  static bool is_empty(const U& v) {
    if constexpr (std::is_same_v<U, std::filesystem::path>) {
      return v.empty();
    } else if constexpr (std::is_arithmetic_v<U>) {
      return false;
    } else {
      return v.empty();
    }
  }

  detail::ConfigEntry* entry_;
  T* field_;
};

// A declared list of records (ConfigSchema::add_list).
class ConfigListKey {
 public:
  ConfigListKey& required() {
    detail::mark_required(*entry_);
    return *this;
  }
  ConfigListKey& check_non_empty();

 private:
  friend class ConfigSchema;
  ConfigListKey(detail::ConfigEntry& entry, std::function<std::size_t()> size)
      : entry_(&entry), size_(std::move(size)) {}
  detail::ConfigEntry* entry_;
  std::function<std::size_t()> size_;
};

// A command-line flag declared on a key (ConfigKey::flag), for the tool layer.
struct ConfigFlag {
  std::string names;                       // "--model,-m", or "model" for a positional
  std::string key;                         // "model.path"
  std::string help;                        // the key's help
  std::optional<std::string> fixed_value;  // a switch's value; null: the flag takes a value
  bool takes_list = false;                 // list key: one or more values
  bool is_bool = false;                    // boolean key: a switch setting true
};

// The keys of one command: each binds a dotted key path ("retrieval.steps") to a field that
// must outlive the schema. Values reach the fields as the layers are applied.
class ConfigSchema {
 public:
  ConfigSchema();
  ~ConfigSchema();
  ConfigSchema(ConfigSchema&&) noexcept;
  ConfigSchema& operator=(ConfigSchema&&) noexcept;

  // Declares a key; the field's current value is its default. A key declared twice, or one
  // that is also a section of other keys, is a programming error (std::logic_error).
  template <typename T>
  ConfigKey<T> add(const std::string& key, T& field, std::string help) {
    static_assert(is_config_type_v<T>,
                  "config keys bind to bool, int, int64_t, double, std::string, "
                  "std::filesystem::path, std::vector / std::optional of those, or std::map "
                  "from std::string to those or to lists of them");
    return ConfigKey<T>(declare(key, field, std::move(help)), field);
  }

  // A list of records: each YAML element is a map of the keys Record::declare(ConfigSchema&)
  // declares (relative names: "lr", not "train.schedule.lr"); each element is validated with
  // its own checks, and errors name the element ("train.schedule[1].lr").
  template <typename Record>
  ConfigListKey add_list(const std::string& key, std::vector<Record>& field, std::string help) {
    detail::RecordListBinding binding;
    binding.size = [&field] { return field.size(); };
    binding.reset = [&field](std::size_t n) { field.assign(n, Record{}); };
    binding.declare_item = [&field](std::size_t i, ConfigSchema& schema) {
      field[i].declare(schema);
    };
    auto size = binding.size;
    return ConfigListKey(declare_list(key, std::move(binding), std::move(help)), std::move(size));
  }

  // Layers: a YAML file, YAML text (source names it in errors), or one "key.path=value"
  // override, whose value is YAML ("[1, 2]", "{steps: 3}") except for string and path keys,
  // which take the text as it is unless it starts with a quote.
  void load_file(const std::filesystem::path& file);
  void load_text(const std::string& yaml, const std::string& source);
  void apply_override(const std::string& assignment);
  // The same for a key and value that arrive apart (a command-line option bound to a key);
  // source names them in errors ("--steps 3").
  void set_value(const std::string& key, const std::string& value, const std::string& source);
  // A list key from several command-line values, each taken as set_value takes one element.
  void set_values(const std::string& key, const std::vector<std::string>& values,
                  const std::string& source);

  // The command-line flags declared on the keys, in declaration order.
  std::vector<ConfigFlag> flags() const;

  // Checks that required keys were given and runs every key's checks; the first failure is
  // thrown. require_all=false skips the required-key test (for --dump-config templates).
  void validate(bool require_all = true) const;

  bool contains(const std::string& key) const;
  // Whether a config file or --set gave the key.
  bool is_set(const std::string& key) const;
  // Where the key's value came from: "file.yaml:LINE", "--set key=value" or "default".
  std::string origin(const std::string& key) const;
  // The declared keys, in declaration order.
  std::vector<std::string> keys() const;

  // The resolved config as nested objects ({"retrieval": {"steps": 50}}), for result JSON.
  nlohmann::json to_json() const;
  // The resolved config as YAML, each key commented with its help; loads back to the same.
  std::string to_yaml() const;
  // One line per key: type, default and help, for --help texts.
  std::string describe() const;

 private:
  template <typename T>
  detail::ConfigEntry& declare(const std::string& key, T& field, std::string help);
  detail::ConfigEntry& declare_list(const std::string& key, detail::RecordListBinding binding,
                                    std::string help);
  void load_yaml(const std::string& yaml, const std::string& source_name,
                 const std::filesystem::path& base_dir);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hc
