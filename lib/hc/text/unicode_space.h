#pragma once
// The two notions of whitespace CLIP's text cleaning mixes: str.strip() uses str.isspace(), and
// the whitespace collapse uses the `regex` module's \s (Unicode White_Space). They differ only
// in U+001C..U+001F, which isspace() counts and White_Space does not.
#include <string>
#include <string_view>

namespace hc::text {

bool is_white_space(char32_t c);   // regex \s on str: Unicode White_Space
bool is_python_space(char32_t c);  // str.isspace()

// str.strip() with no arguments.
std::u32string_view python_strip(std::u32string_view text);

// regex.sub(r'\s+', ' ', text).strip(): every White_Space run becomes one space.
std::u32string collapse_white_space(std::u32string_view text);

}  // namespace hc::text
