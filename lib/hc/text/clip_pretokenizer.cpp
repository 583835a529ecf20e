#include "hc/text/clip_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <fmt/format.h>

#include <string>

#include "hc/core/error.h"
#include "hc/text/unicode_tables.h"

// Why PCRE2 and not std::regex: std::regex has no Unicode properties (\p{L}, \p{N}), works on
// bytes or wchar_t rather than code points, and is slow enough (and recursive enough to
// overflow the stack on long inputs) to matter for tens of thousands of captions. PCRE2 with
// UTF + UCP matches on code points with Unicode general categories, and its JIT makes the
// pattern cheap. Its own \s is not Python's (it adds U+180E), so the pattern spells out the
// `regex` module's \s from the generated table.
// Unicode versions: PCRE2's \p{L}/\p{N} follow its own Unicode tables (10.42: Unicode 14, the
// same as Python 3.11's unicodedata, checked code point by code point). A newer `regex` module
// also knows letters assigned since; only such recently assigned characters can split
// differently.

namespace hc::text {
namespace {

// The ranges as the items of a PCRE2 character class.
std::string class_items(const tables::CodePointRange* ranges, std::size_t count) {
  std::string items;
  for (std::size_t i = 0; i < count; ++i) {
    const auto first = static_cast<uint32_t>(ranges[i].first);
    const auto last = static_cast<uint32_t>(ranges[i].last);
    items += first == last ? fmt::format("\\x{{{:x}}}", first)
                           : fmt::format("\\x{{{:x}}}-\\x{{{:x}}}", first, last);
  }
  return items;
}

// The last class also leaves out the characters the `regex` module drops (U+0345): they belong
// to no piece, as in Python.
std::string clip_pattern() {
  return "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^" +
         class_items(tables::kRegexSpace, tables::kRegexSpaceCount) +
         class_items(tables::kPretokenizerGaps, tables::kPretokenizerGapsCount) +
         "\\p{L}\\p{N}]+";
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// Match data holds the match positions, so each thread needs its own; the compiled pattern is
// shared. One pair of offsets is all findall needs.
struct MatchData {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  ~MatchData() { pcre2_match_data_free(data); }
};

pcre2_match_data* thread_match_data() {
  thread_local MatchData match;
  if (!match.data) throw std::bad_alloc();
  return match.data;
}

}  // namespace

struct ClipPretokenizer::Pattern {
  pcre2_code* code = nullptr;
  ~Pattern() { pcre2_code_free(code); }
};

ClipPretokenizer::ClipPretokenizer() : pattern_(std::make_unique<Pattern>()) {
  const std::string pattern = clip_pattern();
  int error = 0;
  PCRE2_SIZE offset = 0;
  pattern_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &error, &offset, nullptr);
  if (!pattern_->code) {
    throw runtime_error("cannot compile the CLIP pre-tokeniser pattern at offset {}: {}", offset,
                        pcre2_message(error));
  }
  // Without JIT support (some platforms) pcre2_match interprets the pattern: slower, same result.
  pcre2_jit_compile(pattern_->code, PCRE2_JIT_COMPLETE);
}

ClipPretokenizer::~ClipPretokenizer() = default;

void ClipPretokenizer::split(std::string_view text,
                             const std::function<void(std::string_view)>& piece) const {
  pcre2_match_data* match = thread_match_data();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  PCRE2_SIZE start = 0;
  while (start < text.size()) {
    // The caller guarantees valid UTF-8 (it was decoded and re-encoded), so skip the check.
    const int rc = pcre2_match(pattern_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                               match, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      throw runtime_error("pre-tokenising a text failed: {}", pcre2_message(rc));
    }
    const PCRE2_SIZE* offsets = pcre2_get_ovector_pointer(match);
    // No alternative of the pattern can match the empty string, so start always advances.
    piece(text.substr(offsets[0], offsets[1] - offsets[0]));
    start = offsets[1];
  }
}

}  // namespace hc::text
