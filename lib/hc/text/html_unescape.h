#pragma once
// Python's html.unescape, character for character: named references from the full HTML5 table
// (legacy names such as "&amp" or "&copy" also without ';', and the longest known prefix of an
// unknown name), decimal and hex numeric references with HTML5's replacements for invalid
// numbers. The CLIP tokenizer applies it twice to every text.
#include <string>
#include <string_view>

namespace hc::text {

std::u32string html_unescape(std::u32string_view text);

}  // namespace hc::text
