// Prompt templates: Python str.format filling, single templates, template files (the 80
// ImageNet templates), and the config keys.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/text/prompt_templates.h"
#include "test_support.h"

namespace {
using Catch::Matchers::Contains;
using hc::test::TempDir;
}  // namespace

TEST_CASE("prompt templates: filled as Python's str.format fills them") {
  CHECK(hc::fill_template("a picture of a {}", "dog") == "a picture of a dog");
  CHECK(hc::fill_template("{}", "dog") == "dog");
  CHECK(hc::fill_template("a {{literal}} {} }}", "dog") == "a {literal} dog }");
  CHECK(hc::fill_template("a {}, a type of {}", std::vector<std::string>{"banjo", "instrument"}) ==
        "a banjo, a type of instrument");
  CHECK(hc::fill_template("{1} then {0} then {1}", std::vector<std::string>{"a", "b"}) ==
        "b then a then b");
  CHECK(hc::fill_template("no field", "dog") == "no field");
  CHECK_THROWS_WITH(hc::fill_template("{} and {}", "dog"), Contains("needs 2 arguments"));
  CHECK_THROWS_WITH(hc::template_fields("a {name}", "t"), Contains("only {} and {N}"));
  CHECK_THROWS_WITH(hc::template_fields("a {} {0}", "t"), Contains("mixes"));
  CHECK_THROWS_WITH(hc::template_fields("a {", "t"), Contains("unmatched '{'"));
  CHECK_THROWS_WITH(hc::template_fields("a }", "t"), Contains("single '}'"));
  CHECK(hc::template_fields("a {} of {}", "t") == 2);
}

TEST_CASE("prompt templates: one template needs exactly one field") {
  const auto single = hc::PromptTemplates::single("a picture of a {}");
  CHECK(single.size() == 1);
  CHECK(single.source() == "a picture of a {}");
  CHECK(single.fill(0, {"dog", "ice cream"}) ==
        std::vector<std::string>{"a picture of a dog", "a picture of a ice cream"});
  CHECK_THROWS_WITH(hc::PromptTemplates::single("a picture"), Contains("one field {}"));
  CHECK_THROWS_WITH(hc::PromptTemplates::single("{} of {}"), Contains("found 2"));
}

TEST_CASE("prompt templates: the 80 ImageNet templates file") {
  const auto path = hc::test::shared_path("data/clip-prompts/imagenet_templates.txt");
  const auto templates = hc::PromptTemplates::load(path);
  REQUIRE(templates.size() == 80);
  CHECK(templates.templates().front() == "a bad photo of a {}.");
  CHECK(templates.source() == path.string());
  CHECK(templates.fill(0, {"goat"}).front() == "a bad photo of a goat.");
}

TEST_CASE("prompt templates: bad files name the line") {
  TempDir dir;
  const auto file = dir / "templates.txt";
  hc::test::write_bytes(file, "a photo of a {}.\n\nno field here\n");
  CHECK_THROWS_WITH(hc::PromptTemplates::load(file),
                    Contains(file.string() + ":3") && Contains("one field {}"));
  hc::test::write_bytes(file, "\n\n");
  CHECK_THROWS_WITH(hc::PromptTemplates::load(file), Contains("no prompt templates"));
  CHECK_THROWS_WITH(hc::PromptTemplates::load(dir / "none.txt"), Contains("no such"));
  hc::test::write_bytes(file, "a {}\r\nthe {}\r\n");
  CHECK(hc::PromptTemplates::load(file).templates() == std::vector<std::string>{"a {}", "the {}"});
}

TEST_CASE("prompt templates: config keys") {
  hc::PromptOptions options;
  hc::ConfigSchema schema;
  options.declare(schema);
  schema.validate();
  CHECK(options.load().templates() == std::vector<std::string>{"a picture of a {}"});
  schema.apply_override("prompt.template=a photo of {}");
  schema.validate();
  CHECK(options.load().source() == "a photo of {}");
  schema.apply_override("prompt.template=no field");
  CHECK_THROWS_WITH(schema.validate(), Contains("prompt.template"));
}
