#include "hc/text/unicode_space.h"

#include "hc/text/unicode_tables.h"

namespace hc::text {

bool is_white_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return tables::in_ranges(tables::kRegexSpace, tables::kRegexSpaceCount, c);
}

bool is_python_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  return tables::in_ranges(tables::kPythonSpace, tables::kPythonSpaceCount, c);
}

std::u32string_view python_strip(std::u32string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_python_space(text[begin])) ++begin;
  while (end > begin && is_python_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::u32string collapse_white_space(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool in_run = false;
  for (char32_t c : text) {
    if (is_white_space(c)) {
      if (!in_run) out.push_back(U' ');
      in_run = true;
    } else {
      out.push_back(c);
      in_run = false;
    }
  }
  // The collapsed text only has plain spaces left, so stripping them is Python's strip().
  return std::u32string(python_strip(out));
}

}  // namespace hc::text
