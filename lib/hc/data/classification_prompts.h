#pragma once
// Zero-shot classification prompts as CLIP's data/prompts.md publishes them
// (../shared/data/clip-prompts/prompts.md): one "## <Dataset>" section per dataset, each with a
// Python list `classes = [...]` and a list `templates = [...]` of quoted strings ('...' or "...").
// Torch-free.
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

struct ClassificationPrompts {
  std::string dataset;                 // the section's name: "CIFAR10"
  std::vector<std::string> classes;    // readable class names, in label order
  std::vector<std::string> templates;  // each with one "{}"
};

// The section `dataset` of a prompts.md file. Errors (hc::Error naming the file and line): no
// such file; no such section (listing those the file has); a section without a classes or a
// templates list; an unterminated list or string.
ClassificationPrompts read_classification_prompts(const std::filesystem::path& file,
                                                  const std::string& dataset);

}  // namespace hc
