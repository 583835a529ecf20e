#pragma once
// Tables generated from Python itself by tools/gen_unicode_tables.py (unicode_tables.cpp,
// html_entities_table.cpp): the exact data behind str.lower(), str.isspace(), the `regex`
// module's \s and html.unescape, which the CLIP tokenizer must reproduce character for
// character. Internal to hc/text; use the functions in unicode_text.h and html_unescape.h.
#include <algorithm>
#include <cstddef>

namespace hc::text::tables {

// Inclusive range of code points, sorted and disjoint within a table.
struct CodePointRange {
  char32_t first;
  char32_t last;
};

// A code point whose lower-case form differs from it; `to` is zero-padded (U+0130 maps to two
// code points). Capital sigma is absent: its form depends on context (final sigma).
struct LowerMapping {
  char32_t from;
  char32_t to[3];
};

extern const LowerMapping kLowerMappings[];  // sorted by `from`
extern const std::size_t kLowerMappingsCount;
// How CPython's final-sigma rule classifies characters: Case_Ignorable ones are skipped first,
// so kCased lists only the cased characters that are not also case-ignorable.
extern const CodePointRange kCaseIgnorable[];
extern const std::size_t kCaseIgnorableCount;
extern const CodePointRange kCased[];
extern const std::size_t kCasedCount;
// `regex` module \s on str (Unicode White_Space) and Python's str.isspace() (which adds
// U+001C..U+001F).
extern const CodePointRange kRegexSpace[];
extern const std::size_t kRegexSpaceCount;
extern const CodePointRange kPythonSpace[];
extern const std::size_t kPythonSpaceCount;
// Characters CLIP's case-insensitive pre-tokenisation pattern matches with none of its classes
// under the `regex` module although they are not \s (U+0345): findall drops them.
extern const CodePointRange kPretokenizerGaps[];
extern const std::size_t kPretokenizerGapsCount;

// html.entities.html5: name (with or without its ';') -> one or two code points (zero-padded).
struct HtmlEntity {
  const char* name;
  char32_t value[2];
};
extern const HtmlEntity kHtmlEntities[];  // sorted by name, byte order
extern const std::size_t kHtmlEntitiesCount;

// html._invalid_charrefs: numeric references HTML5 maps to another character (cp1252 mostly).
struct CharRefReplacement {
  char32_t number;
  char32_t value;
};
extern const CharRefReplacement kInvalidCharRefs[];  // sorted by number
extern const std::size_t kInvalidCharRefsCount;
// html._invalid_codepoints: numeric references that html.unescape drops.
extern const CodePointRange kDroppedCharRefs[];
extern const std::size_t kDroppedCharRefsCount;

// True when c lies in one of the sorted ranges.
inline bool in_ranges(const CodePointRange* ranges, std::size_t count, char32_t c) {
  const CodePointRange* end = ranges + count;
  const CodePointRange* after =
      std::upper_bound(ranges, end, c, [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return after != ranges && c <= (after - 1)->last;
}

}  // namespace hc::text::tables
