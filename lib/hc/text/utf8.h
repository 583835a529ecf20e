#pragma once
// UTF-8 <-> code points with Python's rules: strict decoding rejects what bytes.decode('utf-8')
// rejects (overlong forms, surrogates, values past U+10FFFF), and lossy decoding replaces each
// maximal invalid subsequence with one U+FFFD, as decode('utf-8', errors='replace') does.
#include <string>
#include <string_view>

namespace hc::text {

// Throws hc::Error naming `what` and the byte offset of the first invalid sequence.
std::u32string decode_utf8(std::string_view bytes, std::string_view what);

// Valid UTF-8 for any bytes: invalid sequences become U+FFFD.
std::string repair_utf8(std::string_view bytes);

void append_utf8(char32_t code_point, std::string& out);
std::string encode_utf8(std::u32string_view code_points);

}  // namespace hc::text
