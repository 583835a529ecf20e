#pragma once
// Python's str.lower(): full Unicode lower-casing, not a per-character tolower. It maps U+0130
// (İ) to two code points (i + U+0307) and a capital sigma at the end of a word to final sigma
// (ς), exactly as CPython does, from tables generated with Python (unicode_tables.h).
#include <string>
#include <string_view>

namespace hc::text {

std::u32string python_lower(std::u32string_view text);

}  // namespace hc::text
