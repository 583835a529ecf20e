#pragma once
// Prompt templates: a word goes into a sentence before it is embedded ("a picture of a {}",
// the paper's HyperLex prompt), or into each of several templates whose embeddings are averaged
// (the prompt ensemble of Radford et al.: the 80 ImageNet templates, used for BREEDS labels).
//
// Filling follows Python's str.format, which the reference code uses: "{}" takes the next
// argument, "{0}", "{1}" a numbered one, "{{" and "}}" are literal braces; anything else in
// braces is an error when the template is checked.
//
// The text part is torch-free; embed_with_templates (the ensemble itself) needs torch and is
// defined only in builds with it (HC_WITH_TORCH), for the torch modules that call it.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace at {
class Tensor;
}

namespace hc {

class ConfigSchema;

// The number of fields a template fills ("{}" and "{N}"), after checking its syntax; where
// names the template in errors ("prompt.template", "templates.txt:3"). Auto and manual numbering
// mixed, unmatched braces and anything but a number in braces are hc::Errors.
std::size_t template_fields(std::string_view tmpl, const std::string& where);

// tmpl.format(*args) as Python computes it. Fewer arguments than fields is an hc::Error.
std::string fill_template(std::string_view tmpl, const std::vector<std::string>& args);
std::string fill_template(std::string_view tmpl, std::string_view word);

class PromptTemplates {
 public:
  // One template; it must fill exactly one field.
  static PromptTemplates single(const std::string& tmpl);
  // One template per line (plain or .gz; blank lines skipped), as
  // ../shared/data/clip-prompts/imagenet_templates.txt; each must fill exactly one field. A bad
  // line is an hc::Error naming file:line; a file without templates is one too.
  static PromptTemplates load(const std::filesystem::path& file);
  // Templates given as a list (e.g. a dataset's section of CLIP's prompts.md); source names
  // them in errors and results. Each must fill exactly one field; an empty list is an hc::Error.
  static PromptTemplates from_list(std::vector<std::string> templates, std::string source);

  const std::vector<std::string>& templates() const { return templates_; }
  std::size_t size() const { return templates_.size(); }
  // The template itself, or the file the templates came from.
  const std::string& source() const { return source_; }

  // Template `index` filled with each word, in the order given.
  std::vector<std::string> fill(std::size_t index, const std::vector<std::string>& words) const;

 private:
  PromptTemplates() = default;
  std::vector<std::string> templates_;
  std::string source_;
};

// Config keys: a single template, or a templates file whose ensemble replaces it.
struct PromptOptions {
  std::string template_text = "a picture of a {}";
  std::filesystem::path templates_file;  // set = ensemble over its templates

  // Keys <section>.template, <section>.templates_file.
  void declare(ConfigSchema& schema, const std::string& section = "prompt");
  PromptTemplates load() const;
};

// Embeds texts: [n, D] rows in the order given (normalised or not).
using TextEmbedFunction = std::function<at::Tensor(const std::vector<std::string>&)>;

// One unit embedding per word, [words, D] float32: each template filled with the words and
// embedded (one call of embed per template), each row normalised, the rows averaged over the
// templates and the mean normalised again (CLIP's zero-shot ensemble). With one template this
// is just its normalised embedding. Needs a build with torch.
at::Tensor embed_with_templates(const PromptTemplates& templates,
                                const std::vector<std::string>& words,
                                const TextEmbedFunction& embed);

}  // namespace hc
