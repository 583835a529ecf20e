#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "hc/core/config.h"
#include "hc/core/config_layers.h"
#include "hc/core/error.h"
#include "test_support.h"

namespace fs = std::filesystem;
using Catch::Contains;
using Catch::StartsWith;

namespace {

// Two modules' options, declared the way library modules do.
struct RetrievalOptions {
  int steps = 50;
  std::string root = "empty";
  double margin = 0.1;
  void declare(hc::ConfigSchema& schema) {
    schema.add("retrieval.steps", steps, "number of radius levels").check_positive();
    schema.add("retrieval.root", root, "where radii start").one_of({"empty", "origin", "mean"});
    schema.add("retrieval.margin", margin, "cone margin").check_range(0, 1);
  }
};

struct DataOptions {
  fs::path csv;
  std::vector<int> tiers{1, 2, 3, 4};
  std::vector<std::string> columns{"captions"};
  std::vector<double> weights;
  std::optional<std::int64_t> limit;
  std::optional<std::string> prompt;
  bool shuffle = false;
  std::int64_t seed = 0;
  void declare(hc::ConfigSchema& schema) {
    schema.add("data.csv", csv, "the CSV file").required();
    schema.add("data.tiers", tiers, "hierarchy levels").check_positive().check_non_empty();
    schema.add("data.columns", columns, "caption columns");
    schema.add("data.weights", weights, "per-tier weights").check_non_negative();
    schema.add("data.limit", limit, "use only the first N rows").check_positive();
    schema.add("data.prompt", prompt, "prompt template");
    schema.add("data.shuffle", shuffle, "shuffle the rows");
    schema.add("data.seed", seed, "random seed");
  }
};

struct Fixture {
  RetrievalOptions retrieval;
  DataOptions data;
  hc::ConfigSchema schema;
  Fixture() {
    retrieval.declare(schema);
    data.declare(schema);
  }
};

// The message of the hc::Error that action throws, which must be a usage error (exit 2).
std::string usage_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    CHECK(e.exit_code() == 2);
    std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);  // one line each
    return message;
  }
  FAIL("no hc::Error was thrown");
  return "";
}

std::string write_yaml(const hc::test::TempDir& dir, const std::string& name,
                       const std::string& text) {
  hc::test::write_bytes(dir / name, text);
  return (dir / name).string();
}

}  // namespace

TEST_CASE("config: defaults stand until a layer changes them") {
  Fixture f;
  REQUIRE(f.schema.keys().front() == "retrieval.steps");
  REQUIRE(f.schema.contains("data.tiers"));
  REQUIRE_FALSE(f.schema.contains("data"));
  REQUIRE_FALSE(f.schema.is_set("retrieval.steps"));
  REQUIRE(f.schema.origin("retrieval.steps") == "default");
  REQUIRE(f.retrieval.steps == 50);
}

TEST_CASE("config: later files override earlier ones, --set overrides both") {
  hc::test::TempDir dir;
  Fixture f;
  auto base = write_yaml(dir, "base.yaml",
                         "retrieval:\n"
                         "  steps: 10\n"
                         "  root: mean\n"
                         "data:\n"
                         "  csv: data/a.csv\n"
                         "  tiers: [1, 2]\n");
  auto local = write_yaml(dir, "local.yaml",
                          "# only what differs\n"
                          "retrieval:\n"
                          "  steps: 20\n"
                          "data.shuffle: yes\n");
  f.schema.load_file(base);
  f.schema.load_file(local);
  f.schema.apply_override("retrieval.margin=0.25");
  f.schema.validate();
  REQUIRE(f.retrieval.steps == 20);
  REQUIRE(f.retrieval.root == "mean");
  REQUIRE(f.retrieval.margin == 0.25);
  // Relative to the file that names it, not to the working directory.
  REQUIRE(f.data.csv == (dir.path() / "data/a.csv").lexically_normal());
  REQUIRE(f.data.tiers == std::vector<int>{1, 2});
  REQUIRE(f.data.shuffle);
  REQUIRE(f.schema.origin("retrieval.steps") == local + ":3");
  REQUIRE(f.schema.origin("retrieval.root") == base + ":3");
  REQUIRE(f.schema.origin("retrieval.margin") == "--set retrieval.margin=0.25");
  REQUIRE(f.schema.is_set("data.shuffle"));
  REQUIRE_FALSE(f.schema.is_set("data.seed"));
}

TEST_CASE("config: --set takes YAML values, nested sections and lists") {
  Fixture f;
  f.schema.apply_override("data.csv=x.csv");
  f.schema.apply_override("data.tiers=[3,4, 5]");
  f.schema.apply_override("data.columns=[positive, \"negative, hard\"]");
  f.schema.apply_override("data.weights=[0.5, 1e-3, .inf]");
  f.schema.apply_override("retrieval={steps: 7, root: origin}");
  f.schema.apply_override("data.limit=100");
  f.schema.apply_override("data.seed=-9000000000");
  f.schema.apply_override(" data.shuffle = on ");
  f.schema.validate();
  REQUIRE(f.data.tiers == std::vector<int>{3, 4, 5});
  REQUIRE(f.data.columns == std::vector<std::string>{"positive", "negative, hard"});
  REQUIRE(f.data.weights.size() == 3);
  REQUIRE(f.data.weights[1] == 1e-3);
  REQUIRE(std::isinf(f.data.weights[2]));
  REQUIRE(f.retrieval.steps == 7);
  REQUIRE(f.retrieval.root == "origin");
  REQUIRE(f.data.limit == 100);
  REQUIRE(f.data.seed == -9000000000LL);
  REQUIRE(f.data.shuffle);
  f.schema.apply_override("data.limit=null");
  REQUIRE_FALSE(f.data.limit.has_value());
  f.schema.apply_override("data.tiers=[]");
  REQUIRE(f.data.tiers.empty());
}

TEST_CASE("config: string and path values from --set are taken as typed") {
  Fixture f;
  f.schema.apply_override("data.prompt=a photo of a {}. # not a comment");
  REQUIRE(f.data.prompt == "a photo of a {}. # not a comment");
  f.schema.apply_override("data.prompt='  quoted: kept  '");
  REQUIRE(f.data.prompt == "  quoted: kept  ");
  f.schema.apply_override("data.prompt=");
  REQUIRE_FALSE(f.data.prompt.has_value());
  f.schema.apply_override("retrieval.root=");
  REQUIRE(f.retrieval.root.empty());
  f.schema.apply_override("data.csv=dir with spaces/a=b.csv");
  REQUIRE(f.data.csv == fs::path("dir with spaces/a=b.csv"));
}

TEST_CASE("config: a run needs no file when --set gives every required key") {
  Fixture f;
  hc::ConfigLayers layers;
  layers.overrides = {"data.csv=rows.csv", "retrieval.steps=3"};
  hc::apply_config_layers(layers, f.schema);
  REQUIRE(f.data.csv == "rows.csv");
  REQUIRE(f.retrieval.steps == 3);
}

TEST_CASE("config: paths expand environment variables") {
  Fixture f;
  ::setenv("HC_CONFIG_TEST_ROOT", "/data/root", 1);
  f.schema.load_text("data:\n  csv: ${HC_CONFIG_TEST_ROOT}/h.csv\n", "env.yaml");
  REQUIRE(f.data.csv == fs::path("/data/root/h.csv"));
  ::unsetenv("HC_CONFIG_TEST_ROOT");
  REQUIRE(usage_error_of([&] { f.schema.load_text("data:\n  csv: ${HC_CONFIG_TEST_ROOT}/h.csv\n",
                                                  "env.yaml"); }) ==
          "env.yaml:2: data.csv: environment variable 'HC_CONFIG_TEST_ROOT' is not set");
}

TEST_CASE("config: unknown keys name the line and the valid keys") {
  Fixture f;
  SECTION("in a section") {
    REQUIRE(usage_error_of([&] {
              f.schema.load_text("# comment\nretrieval:\n  stpes: 3\n", "config.yaml");
            }) == "config.yaml:3: unknown key 'retrieval.stpes'; valid keys under 'retrieval': "
                  "margin, root, steps (did you mean 'retrieval.steps'?)");
  }
  SECTION("at the top level") {
    REQUIRE(usage_error_of([&] { f.schema.load_text("retreival:\n  steps: 3\n", "c.yaml"); }) ==
            "c.yaml:1: unknown key 'retreival'; valid top-level keys: data, retrieval (did you "
            "mean 'retrieval'?)");
  }
  SECTION("far from every valid key: no suggestion") {
    REQUIRE(usage_error_of([&] { f.schema.load_text("data:\n  zzzzzz: 1\n", "c.yaml"); }) ==
            "c.yaml:2: unknown key 'data.zzzzzz'; valid keys under 'data': columns, csv, limit, "
            "prompt, seed, shuffle, tiers, weights");
  }
  SECTION("dotted keys in a file") {
    REQUIRE_THAT(usage_error_of([&] { f.schema.load_text("retrieval.stpes: 3\n", "c.yaml"); }),
            StartsWith("c.yaml:1: unknown key 'retrieval.stpes'; valid keys under 'retrieval'"));
  }
  SECTION("from --set") {
    REQUIRE(usage_error_of([&] { f.schema.apply_override("retrieval.stpes=3"); }) ==
            "--set retrieval.stpes=3: unknown key 'retrieval.stpes'; valid keys under "
            "'retrieval': margin, root, steps (did you mean 'retrieval.steps'?)");
    REQUIRE_THAT(usage_error_of([&] { f.schema.apply_override("model.path=x"); }),
            StartsWith("--set model.path=x: unknown key 'model.path'; valid top-level keys: "
                       "data, retrieval"));
    REQUIRE_THAT(usage_error_of([&] { f.schema.apply_override("retrieval.steps.x=3"); }),
            Contains("'retrieval.steps' is a value, not a section"));
  }
  SECTION("inside a section given with --set") {
    REQUIRE_THAT(usage_error_of([&] { f.schema.apply_override("retrieval={stps: 3}"); }),
            StartsWith("--set retrieval={stps: 3}: unknown key 'retrieval.stps'"));
  }
}

TEST_CASE("config: wrong types name the line, the key and what was expected") {
  Fixture f;
  SECTION("integer") {
    REQUIRE(usage_error_of([&] {
              f.schema.load_text("retrieval:\n  root: mean\n\n  steps: abc\n", "config.yaml");
            }) == "config.yaml:4: retrieval.steps: expected an integer, got 'abc'");
    REQUIRE(usage_error_of([&] { f.schema.load_text("retrieval: {steps: 2.5}", "c.yaml"); }) ==
            "c.yaml:1: retrieval.steps: expected an integer, got '2.5'");
    REQUIRE(usage_error_of([&] { f.schema.apply_override("retrieval.steps=3000000000"); }) ==
            "--set retrieval.steps=3000000000: retrieval.steps: expected an integer between "
            "-2147483648 and 2147483647, got '3000000000'");
    REQUIRE(usage_error_of([&] { f.schema.load_text("retrieval:\n  root: mean\n  steps:\n", "c.yaml"); }) ==
            "c.yaml:3: retrieval.steps: expected an integer, got an empty value");
    REQUIRE(usage_error_of([&] { f.schema.apply_override("retrieval.steps="); }) ==
            "--set retrieval.steps=: retrieval.steps: expected an integer, got an empty value");
  }
  SECTION("number, boolean, string") {
    REQUIRE(usage_error_of([&] { f.schema.load_text("retrieval:\n  margin: 1,5\n", "c.yaml"); }) ==
            "c.yaml:2: retrieval.margin: expected a number, got '1,5'");
    REQUIRE_THAT(usage_error_of([&] { f.schema.apply_override("data.shuffle=maybe"); }),
            Contains("data.shuffle: expected true or false, got 'maybe'"));
    REQUIRE(usage_error_of([&] { f.schema.load_text("retrieval:\n  root: [a]\n", "c.yaml"); }) ==
            "c.yaml:2: retrieval.root: expected a string, got a list");
  }
  SECTION("list and list element") {
    REQUIRE(usage_error_of([&] { f.schema.load_text("data:\n  tiers: 3\n", "c.yaml"); }) ==
            "c.yaml:2: data.tiers: expected a list of integers, got '3'");
    REQUIRE(usage_error_of([&] {
              f.schema.load_text("data:\n  tiers:\n    - 1\n    - two\n", "c.yaml");
            }) == "c.yaml:4: data.tiers[1]: expected an integer, got 'two'");
    REQUIRE(usage_error_of([&] { f.schema.apply_override("data.tiers=[1,x]"); }) ==
            "--set data.tiers=[1,x]: data.tiers[1]: expected an integer, got 'x'");
  }
  SECTION("a value where a section belongs and the reverse") {
    REQUIRE(usage_error_of([&] { f.schema.load_text("retrieval: 5\n", "c.yaml"); }) ==
            "c.yaml:1: retrieval: expected a section with keys margin, root, steps, got '5'");
    REQUIRE(usage_error_of([&] { f.schema.load_text("retrieval:\n  steps: {a: 1}\n", "c.yaml"); }) ==
            "c.yaml:2: retrieval.steps: expected an integer, got a section (map)");
  }
  SECTION("a failed value leaves the field as it was") {
    CHECK_THROWS(f.schema.apply_override("data.tiers=[1,x]"));
    REQUIRE(f.data.tiers == std::vector<int>{1, 2, 3, 4});
  }
}

TEST_CASE("config: file problems name the file") {
  Fixture f;
  hc::test::TempDir dir;
  REQUIRE(usage_error_of([&] { f.schema.load_file(dir / "missing.yaml"); }) ==
          "config file '" + (dir / "missing.yaml").string() + "' not found");
  REQUIRE_THAT(usage_error_of([&] { f.schema.load_file(dir.path()); }), Contains("is a folder"));
  auto broken = write_yaml(dir, "broken.yaml", "retrieval:\n  steps: 3\n  root: [mean\n");
  REQUIRE_THAT(usage_error_of([&] { f.schema.load_file(broken); }),
          StartsWith(broken + ":4: invalid YAML: "));
  auto tabs = write_yaml(dir, "tabs.yaml", "retrieval:\n  steps: 3\n bad: 1\n");
  REQUIRE_THAT(usage_error_of([&] { f.schema.load_file(tabs); }), StartsWith(tabs + ":3: invalid YAML"));
  REQUIRE(usage_error_of([&] { f.schema.load_text("- a\n- b\n", "list.yaml"); }) ==
          "list.yaml:1: expected config keys (a YAML map) at the top level, got a list");
  REQUIRE_THAT(usage_error_of([&] { f.schema.apply_override("data.tiers=[1,"); }),
          StartsWith("--set data.tiers=[1,: data.tiers: invalid YAML value"));
  REQUIRE_THAT(usage_error_of([&] { f.schema.apply_override("steps"); }),
          StartsWith("--set 'steps': expected KEY=VALUE"));
  REQUIRE(usage_error_of([&] { f.schema.apply_override("=3"); }) ==
          "--set =3: '' is no key path; expected KEY=VALUE, e.g. retrieval.steps=20");
  // An empty file or one with only comments changes nothing.
  f.schema.load_text("# nothing yet\n", "empty.yaml");
  f.schema.load_text("", "empty.yaml");
  REQUIRE(f.retrieval.steps == 50);
}

TEST_CASE("config: a key given twice in one file is an error") {
  Fixture f;
  REQUIRE(usage_error_of([&] {
            f.schema.load_text("retrieval:\n  steps: 1\nretrieval.steps: 2\n", "dup.yaml");
          }) == "dup.yaml:3: duplicate key 'retrieval.steps' (already given at dup.yaml:2)");
  // Across layers it is the point: later wins.
  Fixture g;
  g.schema.load_text("retrieval:\n  steps: 1\n", "a.yaml");
  g.schema.load_text("retrieval:\n  steps: 2\n", "b.yaml");
  g.schema.apply_override("retrieval.steps=3");
  g.schema.apply_override("retrieval.steps=4");
  REQUIRE(g.retrieval.steps == 4);
}

TEST_CASE("config: validation names the key, the expectation and where the value came from") {
  Fixture f;
  f.schema.apply_override("data.csv=x.csv");
  SECTION("positive") {
    f.schema.load_text("retrieval:\n  steps: -3\n", "config.yaml");
    REQUIRE(usage_error_of([&] { f.schema.validate(); }) ==
            "config.yaml:2: retrieval.steps: expected a positive number, got -3");
  }
  SECTION("one of") {
    f.schema.apply_override("retrieval.root=median");
    REQUIRE(usage_error_of([&] { f.schema.validate(); }) ==
            "--set retrieval.root=median: retrieval.root: expected one of empty, origin, mean, "
            "got 'median'");
  }
  SECTION("range") {
    f.schema.apply_override("retrieval.margin=1.5");
    REQUIRE_THAT(usage_error_of([&] { f.schema.validate(); }),
            Contains("retrieval.margin: expected a number between 0 and 1, got 1.5"));
  }
  SECTION("list elements and non-empty lists") {
    f.schema.apply_override("data.tiers=[1, 0]");
    REQUIRE_THAT(usage_error_of([&] { f.schema.validate(); }),
            Contains("data.tiers[1]: expected a positive number, got 0"));
    f.schema.apply_override("data.tiers=[]");
    REQUIRE_THAT(usage_error_of([&] { f.schema.validate(); }),
            Contains("data.tiers: expected a non-empty value, got []"));
  }
  SECTION("optional values are checked only when set") {
    f.schema.validate();
    f.schema.apply_override("data.limit=0");
    REQUIRE_THAT(usage_error_of([&] { f.schema.validate(); }),
            Contains("data.limit: expected a positive number, got 0"));
  }
  SECTION("a custom check") {
    int batch = 32;
    f.schema.add("batch", batch, "batch size")
        .check([](const int& b) { return b % 8 == 0; }, "a multiple of 8");
    f.schema.apply_override("batch=12");
    REQUIRE(usage_error_of([&] { f.schema.validate(); }) ==
            "--set batch=12: batch: expected a multiple of 8, got 12");
  }
}

TEST_CASE("config: a missing required key says how to give it") {
  Fixture f;
  REQUIRE(usage_error_of([&] { f.schema.validate(); }) ==
          "missing required key 'data.csv' (the CSV file): give it in a --config file or with "
          "--set data.csv=...");
  f.schema.validate(false);  // a --dump-config template may leave it out
}

TEST_CASE("config: paths can be required to exist") {
  hc::test::TempDir dir;
  fs::path model;
  hc::ConfigSchema schema;
  schema.add("model.path", model, "model folder").check_exists();
  schema.apply_override("model.path=" + dir.path().string());
  schema.validate();
  schema.apply_override("model.path=" + (dir / "nope").string());
  REQUIRE_THAT(usage_error_of([&] { schema.validate(); }),
          Contains("model.path: expected an existing file or folder, got '" +
                   (dir / "nope").string() + "'"));
}

TEST_CASE("config: declaring a key twice or under a value is a programming error") {
  Fixture f;
  int other = 0;
  REQUIRE_THROWS_AS(f.schema.add("retrieval.steps", other, "again"), std::logic_error);
  REQUIRE_THROWS_AS(f.schema.add("retrieval.steps.x", other, "below a value"), std::logic_error);
  REQUIRE_THROWS_AS(f.schema.add("retrieval", other, "a section"), std::logic_error);
  REQUIRE_THROWS_AS(f.schema.add("bad key", other, "space"), std::logic_error);
}

TEST_CASE("config: the resolved config exports as nested JSON") {
  Fixture f;
  f.schema.apply_override("data.csv=data/hierarcaps_test.csv");
  f.schema.apply_override("data.prompt=une photo d’un {}");
  auto json = f.schema.to_json();
  REQUIRE(json["retrieval"]["steps"] == 50);
  REQUIRE(json["retrieval"]["root"] == "empty");
  REQUIRE(json["retrieval"]["margin"] == 0.1);
  REQUIRE(json["data"]["csv"] == "data/hierarcaps_test.csv");
  REQUIRE(json["data"]["tiers"] == nlohmann::json::array({1, 2, 3, 4}));
  REQUIRE(json["data"]["limit"].is_null());
  REQUIRE(json["data"]["prompt"] == "une photo d’un {}");
  REQUIRE(json["data"]["shuffle"] == false);
  REQUIRE(json["data"]["weights"] == nlohmann::json::array());
}

TEST_CASE("config: the YAML dump loads back to the same config") {
  Fixture f;
  f.schema.apply_override("data.csv=a b.csv");
  f.schema.apply_override("data.columns=['null', '', 'yes', '#x', 'a: b', '- z', 'été']");
  f.schema.apply_override("data.weights=[0.1, 1, -.inf, 1e300]");
  f.schema.apply_override("data.prompt=null: {}");
  f.schema.apply_override("data.seed=1234567890123");
  f.schema.apply_override("retrieval.root=");  // an empty string, not null
  std::string yaml = f.schema.to_yaml();
  INFO(yaml);
  REQUIRE(yaml.find("steps: 50  # number of radius levels") != std::string::npos);

  Fixture g;
  g.schema.load_text(yaml, "dump.yaml");
  REQUIRE(g.schema.to_json() == f.schema.to_json());
  REQUIRE(g.data.columns == f.data.columns);
  REQUIRE(g.data.weights[0] == 0.1);
  REQUIRE(std::isinf(g.data.weights[2]));
  REQUIRE(g.data.weights[3] == 1e300);
  REQUIRE(g.retrieval.root.empty());
  REQUIRE(g.data.prompt == "null: {}");
  REQUIRE_FALSE(g.data.limit.has_value());
}

TEST_CASE("config: describe lists every key with its type, default and help") {
  Fixture f;
  std::string text = f.schema.describe();
  REQUIRE(text.find("retrieval.steps") != std::string::npos);
  REQUIRE(text.find("number of radius levels (integer, default 50)") != std::string::npos);
  REQUIRE(text.find("the CSV file (path, required)") != std::string::npos);
  REQUIRE(text.find("(list of integers, default [1, 2, 3, 4])") != std::string::npos);
}

TEST_CASE("config: layers apply --config files, then flags, then --set") {
  hc::test::TempDir dir;
  hc::ConfigLayers layers;
  layers.files = {write_yaml(dir, "a.yaml", "data: {csv: a.csv}\nretrieval: {steps: 5}\n"),
                  write_yaml(dir, "b.yaml", "retrieval: {steps: 6, root: mean}\n")};
  layers.flags = {{"--root", "retrieval.root", {"origin"}, false}};
  layers.overrides = {"retrieval.steps=7"};
  {
    Fixture f;
    hc::apply_config_layers(layers, f.schema);
    REQUIRE(f.retrieval.steps == 7);
    REQUIRE(f.retrieval.root == "origin");  // the flag beats the file
    REQUIRE(f.data.csv == (dir.path() / "a.csv").lexically_normal());
    REQUIRE(f.schema.origin("retrieval.root") == "--root origin");
  }
  {
    Fixture f;
    layers.files.clear();  // a template (--dump-config): the required key may be missing
    hc::apply_config_layers(layers, f.schema, /*validate=*/false);
    REQUIRE(f.retrieval.steps == 7);
    REQUIRE_THAT(usage_error_of([&] { hc::apply_config_layers(layers, f.schema); }),
                 Contains("missing required key 'data.csv'"));
  }
  {
    Fixture f;
    layers.files = {(dir / "nope.yaml").string()};
    REQUIRE_THAT(usage_error_of([&] { hc::apply_config_layers(layers, f.schema); }),
                 Contains("nope.yaml"));
  }
}

namespace {
// Keys with flags declared beside them, as tools declare them.
struct FlaggedOptions {
  fs::path csv;
  int steps = 50;
  bool skip = false;
  bool cache = true;
  std::vector<int> ks{1, 5};
  std::vector<std::string> images;
  void declare(hc::ConfigSchema& schema) {
    schema.add("data.csv", csv, "the rows to read").flag("--csv");
    schema.add("retrieval.steps", steps, "number of radius levels").flag("--steps,-s");
    schema.add("data.skip", skip, "skip missing").flag("--skip-missing");
    schema.add("model.cache", cache, "use the cache").flag_value("--no-cache", "false");
    schema.add("crossmodal.ks", ks, "K values").check_positive().flag("--ks");
    schema.add("inputs.images", images, "image files").flag("images");
  }
};

// Parses argv (after the program name) into an app made the way tools make theirs.
void parse(CLI::App& app, std::vector<std::string> argv) {
  argv.insert(argv.begin(), "test");
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  app.parse(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("config: flags declared on keys become command-line options, listed in --help") {
  FlaggedOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  hc::ConfigLayers layers;
  CLI::App app{"test"};
  hc::add_config_options(app, schema, layers);
  hc::add_config_help(app, schema);
  parse(app, {"--csv", "rows.csv", "-s", "9", "--skip-missing", "--no-cache", "--ks", "1,5",
              "a.jpg", "--ks", "10", "b.jpg", "--set", "retrieval.steps=11"});
  hc::apply_config_layers(layers, schema);
  REQUIRE(options.csv == "rows.csv");  // relative to the working directory, as typed
  REQUIRE(options.steps == 11);        // --set has the last word
  REQUIRE(options.skip);
  REQUIRE_FALSE(options.cache);
  REQUIRE(options.ks == std::vector<int>{1, 5, 10});
  REQUIRE(options.images == std::vector<std::string>{"a.jpg", "b.jpg"});
  REQUIRE(schema.origin("data.csv") == "--csv rows.csv");
  REQUIRE(schema.origin("model.cache") == "--no-cache false");

  std::string help = app.help();
  REQUIRE_THAT(help, Contains("--csv VALUE") && Contains("(config key data.csv)"));
  REQUIRE_THAT(help, Contains("--no-cache") && Contains("(config key model.cache)"));
  REQUIRE_THAT(help, Contains("Config keys") && Contains("number of radius levels (integer, default 50)"));

  FlaggedOptions bad_options;
  hc::ConfigSchema bad;
  bad_options.declare(bad);
  hc::ConfigLayers bad_layers;
  bad_layers.flags = {{"--steps", "retrieval.steps", {"many"}, false}};
  REQUIRE(usage_error_of([&] { hc::apply_config_layers(bad_layers, bad); }) ==
          "--steps many: retrieval.steps: expected an integer, got 'many'");
  bad_layers.flags = {{"--ks", "crossmodal.ks", {"1", "x: [y"}, true}};
  REQUIRE_THAT(usage_error_of([&] { hc::apply_config_layers(bad_layers, bad); }),
               StartsWith("--ks 1 x: [y: crossmodal.ks: invalid YAML value"));
  bad_layers.flags = {{"--ks", "crossmodal.ks", {"1", "-2"}, true}};
  REQUIRE(usage_error_of([&] { hc::apply_config_layers(bad_layers, bad); }) ==
          "--ks 1 -2: crossmodal.ks[1]: expected a positive number, got -2");
}

namespace {
// A record in a list, as training configs use them (learning-rate schedules, parameter groups).
struct Group {
  std::string match;
  double lr = 1e-7;
  std::optional<double> weight_decay;
  fs::path init;
  void declare(hc::ConfigSchema& schema) {
    schema.add("match", match, "parameter names (glob)").check_non_empty();
    schema.add("lr", lr, "learning rate").check_positive();
    schema.add("weight_decay", weight_decay, "weight decay").check_non_negative();
    schema.add("init", init, "initial values");
  }
};

struct TrainOptions {
  std::vector<Group> groups{Group{"text_model.*", 1e-6, std::nullopt, {}}};
  std::map<std::string, std::vector<std::string>> grid;
  std::map<std::string, double> lambdas{{"p", 10.0}, {"e", 1.0}};
  std::string model = "openai/clip-vit-base-patch32";
  void declare(hc::ConfigSchema& schema) {
    schema.add_list("train.groups", groups, "parameter groups").check_non_empty();
    schema.add("ablation.grid", grid, "config keys and the values to try");
    schema.add("loss.lambdas", lambdas, "loss weights").check_non_negative();
    schema.add("model.path", model, "model folder or hub id").relative_to_config();
  }
};
}  // namespace

TEST_CASE("config: lists of records and maps, with errors naming the element") {
  hc::test::TempDir dir;
  TrainOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  REQUIRE(schema.to_json()["train"]["groups"][0]["lr"] == 1e-6);  // the default list
  const auto file = write_yaml(dir, "train.yaml",
                               "train:\n"
                               "  groups:\n"
                               "    - {match: 'text_model.*', lr: 1.0e-5}\n"
                               "    - match: text_projection\n"
                               "      weight_decay: 0\n"
                               "      init: weights/p.safetensors\n"
                               "ablation:\n"
                               "  grid:\n"
                               "    loss.lambda_p: [0, 10]\n"
                               "    root.mode: [origin, empty]\n"
                               "loss:\n"
                               "  lambdas: {p: 0.5}\n");
  schema.load_file(file);
  schema.validate();
  REQUIRE(options.groups.size() == 2);
  CHECK(options.groups[0].match == "text_model.*");
  CHECK(options.groups[0].lr == 1e-5);
  CHECK_FALSE(options.groups[0].weight_decay.has_value());
  CHECK(options.groups[1].lr == 1e-7);  // each record starts from its defaults
  CHECK(options.groups[1].weight_decay == 0.0);
  CHECK(options.groups[1].init == (dir.path() / "weights/p.safetensors").lexically_normal());
  CHECK(options.grid.at("loss.lambda_p") == std::vector<std::string>{"0", "10"});
  CHECK(options.grid.at("root.mode") == std::vector<std::string>{"origin", "empty"});
  CHECK(options.lambdas == std::map<std::string, double>{{"p", 0.5}});

  // The dump loads back to the same.
  TrainOptions again;
  hc::ConfigSchema reloaded;
  again.declare(reloaded);
  reloaded.load_text(schema.to_yaml(), "dump.yaml");
  CHECK(again.groups.size() == 2);
  CHECK(again.groups[1].init == options.groups[1].init);
  CHECK(again.grid == options.grid);

  // Each error from a fresh schema.
  auto error_of = [](const std::string& yaml) {
    return usage_error_of([&] {
      TrainOptions bad;
      hc::ConfigSchema errors;
      bad.declare(errors);
      errors.load_text(yaml, "t.yaml");
      errors.validate();
    });
  };
  CHECK(error_of("train:\n  groups:\n    - {match: a}\n    - {match: b, lr: fast}\n") ==
        "t.yaml:4: train.groups[1].lr: expected a number, got 'fast'");
  CHECK(error_of("train:\n  groups:\n    - {match: a, lrr: 1}\n") ==
        "t.yaml:3: unknown key 'train.groups[0].lrr'; valid keys under 'train.groups[0]': "
        "init, lr, match, weight_decay (did you mean 'train.groups[0].lr'?)");
  CHECK(error_of("train:\n  groups:\n    - {match: a, lr: -1}\n") ==
        "t.yaml:3: train.groups[0].lr: expected a positive number, got -1");
  CHECK(error_of("train:\n  groups: {match: a}\n") ==
        "t.yaml:2: train.groups: expected a list of sections (maps), got a section (map)");
  CHECK(error_of("train:\n  groups: [3]\n") ==
        "t.yaml:2: train.groups[0]: expected a section with keys init, lr, match, weight_decay, "
        "got '3'");
  CHECK(error_of("train:\n  groups: []\n") ==
        "t.yaml:2: train.groups: expected a non-empty list, got []");
  CHECK(error_of("loss:\n  lambdas: {p: x}\n") ==
        "t.yaml:2: loss.lambdas[p]: expected a number, got 'x'");
  CHECK(error_of("loss:\n  lambdas: [1]\n") ==
        "t.yaml:2: loss.lambdas: expected a map of names to values, got a list");
  CHECK(error_of("loss:\n  lambdas: {p: -1}\n") ==
        "t.yaml:2: loss.lambdas[p]: expected a number >= 0, got -1");
}

TEST_CASE("config: a path-or-name key is relative to its config file only when it reads as a path") {
  hc::test::TempDir dir;
  fs::create_directories(dir / "configs" / "local-model");
  auto check = [&](const std::string& value) {
    TrainOptions options;
    hc::ConfigSchema schema;
    options.declare(schema);
    schema.load_file(write_yaml(dir, "configs/m.yaml", "model:\n  path: " + value + "\n"));
    return options.model;
  };
  CHECK(check("openai/clip-vit-base-patch32") == "openai/clip-vit-base-patch32");  // a hub id
  CHECK(check("local-model") == (dir.path() / "configs/local-model").string());     // exists there
  CHECK(check("../models/x") == (dir.path() / "models/x").string());                // says so
  CHECK(check("/abs/model") == "/abs/model");
  TrainOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  schema.apply_override("model.path=../models/x");  // the command line: as typed
  CHECK(options.model == "../models/x");
}
