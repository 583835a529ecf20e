#include "hc/text/clip_text_cleaner.h"

#include "hc/text/html_unescape.h"
#include "hc/text/unicode_lower.h"
#include "hc/text/unicode_space.h"
#include "hc/text/utf8.h"

namespace hc::text {

std::string clean_clip_text(std::string_view text, std::string_view what) {
  const std::u32string decoded = decode_utf8(text, what);
  const std::u32string unescaped = html_unescape(html_unescape(decoded));
  const std::u32string collapsed = collapse_white_space(python_strip(unescaped));
  return encode_utf8(python_lower(collapsed));
}

}  // namespace hc::text
