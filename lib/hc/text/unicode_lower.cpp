#include "hc/text/unicode_lower.h"

#include <algorithm>

#include "hc/text/unicode_tables.h"

namespace hc::text {
namespace {

constexpr char32_t kCapitalSigma = 0x03A3;
constexpr char32_t kSmallSigma = 0x03C3;
constexpr char32_t kFinalSigma = 0x03C2;

bool is_case_ignorable(char32_t c) {
  return tables::in_ranges(tables::kCaseIgnorable, tables::kCaseIgnorableCount, c);
}

bool is_cased(char32_t c) { return tables::in_ranges(tables::kCased, tables::kCasedCount, c); }

// CPython's handle_capital_sigma: final when a cased letter precedes (skipping case-ignorable
// characters) and none follows. It looks at the original text, not the lowered one.
bool is_final_sigma(std::u32string_view text, std::size_t i) {
  std::size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  std::size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

void append_lower(char32_t c, std::u32string& out) {
  const tables::LowerMapping* begin = tables::kLowerMappings;
  const tables::LowerMapping* end = begin + tables::kLowerMappingsCount;
  const tables::LowerMapping* found = std::lower_bound(
      begin, end, c, [](const tables::LowerMapping& m, char32_t v) { return m.from < v; });
  if (found == end || found->from != c) {
    out.push_back(c);
    return;
  }
  for (char32_t to : found->to) {
    if (to == 0) break;
    out.push_back(to);
  }
}

}  // namespace

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c < 0x80) {
      out.push_back(c >= U'A' && c <= U'Z' ? c + 32 : c);
    } else if (c == kCapitalSigma) {
      out.push_back(is_final_sigma(text, i) ? kFinalSigma : kSmallSigma);
    } else {
      append_lower(c, out);
    }
  }
  return out;
}

}  // namespace hc::text
