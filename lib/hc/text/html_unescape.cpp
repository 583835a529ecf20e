#include "hc/text/html_unescape.h"

#include <algorithm>
#include <cstring>

#include "hc/text/unicode_tables.h"

namespace hc::text {
namespace {

// Python matches &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) and replaces each
// match; this scanner finds the same matches. The patterns never backtrack (greedy runs then an
// optional ';'), so a single forward scan is exact.
constexpr std::size_t kMaxNameLength = 32;
constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kMaxCodePoint = 0x10FFFF;

bool is_decimal(char32_t c) { return c >= U'0' && c <= U'9'; }

bool is_hex(char32_t c) {
  return is_decimal(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}

int hex_value(char32_t c) {
  if (is_decimal(c)) return static_cast<int>(c - U'0');
  return static_cast<int>((c | 0x20) - U'a' + 10);
}

bool is_name_char(char32_t c) {
  return c != U'\t' && c != U'\n' && c != U'\f' && c != U' ' && c != U'<' && c != U'&' &&
         c != U'#' && c != U';';
}

// What html.unescape puts in place of a numeric reference. Numbers past U+10FFFF only need to
// be known as "too large", so the value saturates instead of overflowing.
void append_numeric(char32_t number, std::u32string& out) {
  const tables::CharRefReplacement* begin = tables::kInvalidCharRefs;
  const tables::CharRefReplacement* end = begin + tables::kInvalidCharRefsCount;
  const auto* found = std::lower_bound(
      begin, end, number,
      [](const tables::CharRefReplacement& r, char32_t v) { return r.number < v; });
  if (found != end && found->number == number) {
    out.push_back(found->value);
  } else if ((number >= 0xD800 && number <= 0xDFFF) || number > kMaxCodePoint) {
    out.push_back(kReplacement);
  } else if (!tables::in_ranges(tables::kDroppedCharRefs, tables::kDroppedCharRefsCount,
                                number)) {
    out.push_back(number);
  }
}

// Parses the digits starting at pos; returns the position after them (and after one ';').
std::size_t numeric_reference(std::u32string_view text, std::size_t pos, bool hex,
                              std::u32string& out) {
  char32_t number = 0;
  const char32_t base = hex ? 16 : 10;
  while (pos < text.size() && (hex ? is_hex(text[pos]) : is_decimal(text[pos]))) {
    const int digit = hex ? hex_value(text[pos]) : static_cast<int>(text[pos] - U'0');
    number = number > kMaxCodePoint ? number : number * base + static_cast<char32_t>(digit);
    ++pos;
  }
  if (pos < text.size() && text[pos] == U';') ++pos;
  append_numeric(number, out);
  return pos;
}

const tables::HtmlEntity* find_entity(std::u32string_view name) {
  // Entity names are ASCII: a name with any other character is simply not found.
  char key[kMaxNameLength + 2];
  if (name.size() > kMaxNameLength + 1) return nullptr;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] >= 0x80) return nullptr;
    key[i] = static_cast<char>(name[i]);
  }
  key[name.size()] = '\0';
  const tables::HtmlEntity* begin = tables::kHtmlEntities;
  const tables::HtmlEntity* end = begin + tables::kHtmlEntitiesCount;
  const auto* found = std::lower_bound(begin, end, key, [](const tables::HtmlEntity& e,
                                                           const char* k) {
    return std::strcmp(e.name, k) < 0;
  });
  return found != end && std::strcmp(found->name, key) == 0 ? found : nullptr;
}

void append_entity(const tables::HtmlEntity& entity, std::u32string& out) {
  for (char32_t c : entity.value) {
    if (c != 0) out.push_back(c);
  }
}

// A named reference: the whole name if known, else its longest known prefix of at least two
// characters followed by the rest, else the text unchanged (Python's _replace_charref).
void append_named(std::u32string_view name, std::u32string& out) {
  if (const auto* entity = find_entity(name)) {
    append_entity(*entity, out);
    return;
  }
  for (std::size_t length = name.size() - 1; length >= 2 && name.size() >= 3; --length) {
    if (const auto* entity = find_entity(name.substr(0, length))) {
      append_entity(*entity, out);
      out.append(name.substr(length));
      return;
    }
  }
  out.push_back(U'&');
  out.append(name);
}

// Handles the reference starting at text[amp] == '&'; returns where scanning continues, or
// amp + 1 with the '&' copied when nothing matches there.
std::size_t reference(std::u32string_view text, std::size_t amp, std::u32string& out) {
  std::size_t pos = amp + 1;
  if (pos < text.size() && text[pos] == U'#') {
    if (pos + 1 < text.size() && is_decimal(text[pos + 1])) {
      return numeric_reference(text, pos + 1, false, out);
    }
    if (pos + 2 < text.size() && (text[pos + 1] | 0x20) == U'x' && is_hex(text[pos + 2])) {
      return numeric_reference(text, pos + 2, true, out);
    }
    out.push_back(U'&');
    return amp + 1;
  }
  std::size_t end = pos;
  while (end < text.size() && end - pos < kMaxNameLength && is_name_char(text[end])) ++end;
  if (end == pos) {
    out.push_back(U'&');
    return amp + 1;
  }
  if (end < text.size() && text[end] == U';') ++end;
  append_named(text.substr(pos, end - pos), out);
  return end;
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    if (text[pos] == U'&') {
      pos = reference(text, pos, out);
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

}  // namespace hc::text
