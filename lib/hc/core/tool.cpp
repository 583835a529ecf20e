#include "hc/core/tool.h"

#include "hc/core/strings.h"

namespace hc {

ToolInfo::ToolInfo(std::string name_, std::string purpose_, std::vector<std::string> examples_,
                   std::string details_)
    : name(std::move(name_)),
      purpose(std::move(purpose_)),
      examples(std::move(examples_)),
      details(std::move(details_)) {}

std::string data_sidecar_path(const std::string& output) {
  const std::string suffix = ".safetensors";
  if (ends_with(output, suffix)) return output.substr(0, output.size() - suffix.size()) + ".json";
  return output + ".json";
}

}  // namespace hc
