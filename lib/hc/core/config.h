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
// A command declares the options it uses on one schema, then hc::load_config() layers the
// --config files (later ones win) and the --set overrides onto the fields and validates them.
// Every mistake is a one-line hc::Error of Usage kind (exit 2) naming the file and line (or
// the --set argument), the key, and what was expected.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hc {

struct CommonOptions;

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
inline constexpr bool is_config_type_v =
    is_config_scalar_v<typename config_element<T>::type> &&
    !std::is_same_v<T, std::vector<bool>>;

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
                  "std::filesystem::path, or std::vector / std::optional of those");
    return ConfigKey<T>(declare(key, field, std::move(help)), field);
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

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The one call a command makes after declaring its options: layers options.config_files, the
// options made with add_config_option (hc/core/cli.h) and the --set overrides onto schema, in
// that order, and validates. With --dump-config it prints the resolved
// config as YAML to stdout and returns false: the command should then stop. Returns true
// otherwise.
bool load_config(const CommonOptions& options, ConfigSchema& schema);

}  // namespace hc
