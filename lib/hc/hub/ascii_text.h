#pragma once
#include <string>
#include <string_view>

// The plain-ASCII text handling HTTP headers, ref files and tokens need (not Unicode-aware).
namespace hc::hub {

// Without leading and trailing spaces, tabs, CR and LF.
std::string trim_ascii_space(std::string_view text);

// With A-Z mapped to a-z (header names are case-insensitive).
std::string ascii_lower(std::string_view text);

}  // namespace hc::hub
