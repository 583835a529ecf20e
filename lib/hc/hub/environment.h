#pragma once
#include <filesystem>
#include <string>

// Environment variables as huggingface_hub reads them.
namespace hc::hub {

// The variable's value, or "" when it is unset (an empty value counts as unset).
std::string env_value(const char* name);

// Whether the variable is 1, true, yes or on (in any case), as huggingface_hub's flags.
bool env_flag(const char* name);

// A leading "~" or "~/" replaced by $HOME, as Python's os.path.expanduser.
std::filesystem::path expand_user(const std::string& path);

}  // namespace hc::hub
