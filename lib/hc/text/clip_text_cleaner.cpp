#include "hc/text/clip_text_cleaner.h"

#include <algorithm>

#include "hc/text/html_unescape.h"
#include "hc/text/unicode_lower.h"
#include "hc/text/unicode_space.h"
#include "hc/text/utf8.h"

namespace hc::text {
namespace {

// Most captions are plain ASCII without '&'; for them html.unescape is the identity and every
// step works byte by byte, so one pass over the bytes replaces five conversions.
bool is_plain_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '&'; });
}

std::string clean_plain_ascii(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (is_white_space(static_cast<unsigned char>(c))) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  }
  // Dropping whitespace runs at both ends equals strip + collapse + strip, except for
  // U+001C..U+001F, which str.strip() removes at the ends but White_Space does not collapse.
  const auto is_space = [](char c) { return is_python_space(static_cast<unsigned char>(c)); };
  const auto first = std::find_if_not(out.begin(), out.end(), is_space);
  const auto last = std::find_if_not(out.rbegin(), out.rend(), is_space).base();
  return first < last ? std::string(first, last) : std::string();
}

}  // namespace

std::string clean_clip_text(std::string_view text, std::string_view what) {
  if (is_plain_ascii(text)) return clean_plain_ascii(text);
  const std::u32string decoded = decode_utf8(text, what);
  const std::u32string unescaped = html_unescape(html_unescape(decoded));
  const std::u32string collapsed = collapse_white_space(python_strip(unescaped));
  return encode_utf8(python_lower(collapsed));
}

}  // namespace hc::text
