#include "hc/text/prompt_templates.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/io/text_file.h"

#if HC_WITH_TORCH
#include <ATen/ATen.h>
#include <fmt/ranges.h>
#endif

namespace hc {
namespace {

// A template as Python's formatter sees it: literal text and fields (argument numbers).
struct ParsedTemplate {
  std::vector<std::variant<std::string, std::size_t>> parts;
  std::size_t fields = 0;       // how many fields
  std::size_t arguments = 0;    // how many arguments they need (highest number + 1)
};

ParsedTemplate parse_template(std::string_view tmpl, const std::string& where) {
  ParsedTemplate parsed;
  std::string literal;
  bool automatic = false, manual = false;
  std::size_t next_auto = 0;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      throw usage_error("{}: single '}}' at position {} of template '{}' (write '}}}}' for a brace)",
                        where, i, std::string(tmpl));
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    const std::size_t close = tmpl.find('}', i + 1);
    if (close == std::string_view::npos) {
      throw usage_error("{}: unmatched '{{' at position {} of template '{}'", where, i,
                        std::string(tmpl));
    }
    const std::string_view name = tmpl.substr(i + 1, close - i - 1);
    std::size_t argument = 0;
    if (name.empty()) {
      automatic = true;
      argument = next_auto++;
    } else {
      for (char d : name) {
        if (!std::isdigit(static_cast<unsigned char>(d))) {
          throw usage_error("{}: field '{{{}}}' in template '{}': only {{}} and {{N}} are supported",
                            where, std::string(name), std::string(tmpl));
        }
      }
      manual = true;
      argument = std::stoul(std::string(name));
    }
    if (automatic && manual) {
      throw usage_error("{}: template '{}' mixes {{}} and numbered fields", where,
                        std::string(tmpl));
    }
    if (!literal.empty()) parsed.parts.emplace_back(std::move(literal));
    literal.clear();
    parsed.parts.emplace_back(argument);
    ++parsed.fields;
    parsed.arguments = std::max(parsed.arguments, argument + 1);
    i = close;
  }
  if (!literal.empty()) parsed.parts.emplace_back(std::move(literal));
  return parsed;
}

std::string render(const ParsedTemplate& parsed, const std::vector<std::string>& args) {
  std::string text;
  for (const auto& part : parsed.parts) {
    if (const auto* literal = std::get_if<std::string>(&part)) {
      text += *literal;
    } else {
      text += args[std::get<std::size_t>(part)];
    }
  }
  return text;
}

void require_one_field(std::string_view tmpl, const std::string& where) {
  const ParsedTemplate parsed = parse_template(tmpl, where);
  if (parsed.arguments != 1) {
    throw usage_error("{}: template '{}' must have one field {{}} for the word, found {}", where,
                      std::string(tmpl), parsed.arguments);
  }
}

}  // namespace

std::size_t template_fields(std::string_view tmpl, const std::string& where) {
  return parse_template(tmpl, where).fields;
}

std::string fill_template(std::string_view tmpl, const std::vector<std::string>& args) {
  const ParsedTemplate parsed = parse_template(tmpl, "template");
  if (args.size() < parsed.arguments) {
    throw usage_error("template '{}' needs {} arguments, got {}", std::string(tmpl),
                      parsed.arguments, args.size());
  }
  return render(parsed, args);
}

std::string fill_template(std::string_view tmpl, std::string_view word) {
  return fill_template(tmpl, std::vector<std::string>{std::string(word)});
}

PromptTemplates PromptTemplates::single(const std::string& tmpl) {
  require_one_field(tmpl, "prompt template");
  PromptTemplates templates;
  templates.templates_ = {tmpl};
  templates.source_ = tmpl;
  return templates;
}

PromptTemplates PromptTemplates::load(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    throw runtime_error("{}: no such prompt templates file", file.string());
  }
  PromptTemplates templates;
  templates.source_ = file.string();
  LineReader reader(file);
  std::string line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    require_one_field(line, file.string() + ":" + std::to_string(reader.line_number()));
    templates.templates_.push_back(line);
  }
  if (templates.templates_.empty()) {
    throw runtime_error("{}: no prompt templates (expected one per line, each with {{}})",
                        file.string());
  }
  return templates;
}

PromptTemplates PromptTemplates::from_list(std::vector<std::string> list, std::string source) {
  if (list.empty()) throw runtime_error("{}: no prompt templates", source);
  for (std::size_t i = 0; i < list.size(); ++i) {
    require_one_field(list[i], source + "[" + std::to_string(i) + "]");
  }
  PromptTemplates templates;
  templates.templates_ = std::move(list);
  templates.source_ = std::move(source);
  return templates;
}

std::vector<std::string> PromptTemplates::fill(std::size_t index,
                                               const std::vector<std::string>& words) const {
  const ParsedTemplate parsed = parse_template(templates_.at(index), source_);
  std::vector<std::string> texts;
  texts.reserve(words.size());
  std::vector<std::string> args(1);
  for (const auto& word : words) {
    args[0] = word;
    texts.push_back(render(parsed, args));
  }
  return texts;
}

void PromptOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".template", template_text,
             "prompt each word is embedded in; {} is the word")
      .check([](const std::string& t) {
        try {
          require_one_field(t, "prompt");
          return true;
        } catch (const Error&) {
          return false;
        }
      }, "a template with exactly one {} field")
      .flag("--prompt");
  schema.add(section + ".templates_file", templates_file,
             "file of templates, one per line; when set, the mean of their normalised "
             "embeddings (renormalised) replaces the single template")
      .flag("--templates");
}

PromptTemplates PromptOptions::load() const {
  return templates_file.empty() ? PromptTemplates::single(template_text)
                                : PromptTemplates::load(templates_file);
}

#if HC_WITH_TORCH
namespace {
at::Tensor unit(const at::Tensor& rows) {
  return rows / rows.norm(2, {-1}, /*keepdim=*/true).clamp_min(1e-12);
}
}  // namespace

at::Tensor embed_with_templates(const PromptTemplates& templates,
                                const std::vector<std::string>& words,
                                const TextEmbedFunction& embed) {
  at::Tensor sum;
  for (std::size_t t = 0; t < templates.size(); ++t) {
    at::Tensor rows = embed(templates.fill(t, words));
    if (rows.dim() != 2 || rows.size(0) != static_cast<int64_t>(words.size())) {
      throw runtime_error("prompt ensemble: the embedder returned shape [{}] for {} texts",
                          fmt::join(rows.sizes(), ", "), words.size());
    }
    rows = unit(rows.to(at::kFloat));
    sum = t == 0 ? rows.clone() : sum.add_(rows);
  }
  return unit(sum / static_cast<double>(templates.size()));
}
#endif

}  // namespace hc
