#pragma once
// The text cleaning simple_tokenizer.encode() does before pre-tokenisation:
//   html.unescape(html.unescape(text)).strip(), every White_Space run -> one space, strip,
//   then Python's full str.lower().
// ftfy.fix_text, which OpenAI runs first, is not reproduced: for text that is already NFC and
// free of mojibake, control characters, ligatures, full-width forms and curly quotes (ordinary
// captions and words) it changes nothing, and the shared fixtures were made with it stubbed
// out. Text it would repair tokenises here as if ftfy were the identity.
#include <string>
#include <string_view>

namespace hc::text {

// text must be UTF-8 (otherwise an hc::Error names `what` and the byte offset); returns UTF-8.
std::string clean_clip_text(std::string_view text, std::string_view what = "text");

}  // namespace hc::text
