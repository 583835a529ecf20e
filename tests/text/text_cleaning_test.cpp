// The pieces of CLIP's text cleaning against Python's own answers (html.unescape, str.lower,
// str.strip, regex \s), each expected value taken from Python 3.11.
#include <catch2/catch.hpp>

#include <string>

#include "hc/core/error.h"
#include "hc/text/clip_text_cleaner.h"
#include "hc/text/html_unescape.h"
#include "hc/text/unicode_lower.h"
#include "hc/text/unicode_space.h"
#include "hc/text/utf8.h"

using hc::text::decode_utf8;
using hc::text::encode_utf8;

namespace {

// UTF-8 in, UTF-8 out, so Catch2 can print both sides.
std::string unescape(const std::string& text) {
  return encode_utf8(hc::text::html_unescape(decode_utf8(text, "test")));
}

std::string lower(const std::string& text) {
  return encode_utf8(hc::text::python_lower(decode_utf8(text, "test")));
}

}  // namespace

TEST_CASE("html_unescape matches Python's html.unescape", "[text][html]") {
  CHECK(unescape("&amp;") == "&");
  CHECK(unescape("&ampx;") == "&x;");                   // legacy name without ';'
  CHECK(unescape("&copy") == "\u00a9");
  CHECK(unescape("&notit;") == "\u00acit;");            // longest known prefix
  CHECK(unescape("&NotNestedGreaterGreater;") == "\u2aa2\u0338");  // two code points
  CHECK(unescape("&#X41;&#65&#x42") == "AAB");
  CHECK(unescape("&#128;") == "\u20ac");                // cp1252 replacement
  CHECK(unescape("&#0;") == "\ufffd");
  CHECK(unescape("&#1;").empty());                      // dropped control
  CHECK(unescape("&#xD800;") == "\ufffd");              // surrogate
  CHECK(unescape("&#1114112;") == "\ufffd");            // past U+10FFFF
  CHECK(unescape("&#99999999999999999999;") == "\ufffd");  // no overflow
  CHECK(unescape("&#x") == "&#x");
  CHECK(unescape("AT&T") == "AT&T");
  CHECK(unescape("&amp;lt;") == "&lt;");                // one level per call
  CHECK(unescape("&abcdefghijklmnopqrstuvwxyzabcdefgh;") == "&abcdefghijklmnopqrstuvwxyzabcdefgh;");
  CHECK(unescape("caf\u00e9 &eacute;") == "caf\u00e9 \u00e9");
}

TEST_CASE("python_lower is Python's full str.lower()", "[text][lower]") {
  CHECK(lower("Hello WORLD") == "hello world");
  CHECK(lower("\u0130stanbul") == "i\u0307stanbul");                 // İ -> i + combining dot
  CHECK(lower("\u039f\u0394\u039f\u03a3") == "\u03bf\u03b4\u03bf\u03c2");  // final sigma
  CHECK(lower("\u03a3\u0391") == "\u03c3\u03b1");                    // initial sigma
  CHECK(lower("\u03a3") == "\u03c3");                                // alone: not final
  CHECK(lower("\u0391\u03a3.") == "\u03b1\u03c2.");
  CHECK(lower("\u0391\u03a3'\u0391") == "\u03b1\u03c3'\u03b1");      // ' is case-ignorable
  CHECK(lower("\u0391\u0301\u03a3") == "\u03b1\u0301\u03c2");        // accent skipped
  CHECK(lower("\u1e9e") == "\u00df");                                // ẞ -> ß
}

TEST_CASE("whitespace: strip uses isspace, collapsing uses White_Space", "[text][space]") {
  CHECK(hc::text::is_white_space(0x00A0));
  CHECK(hc::text::is_white_space(0x2028));
  CHECK_FALSE(hc::text::is_white_space(0x200B));
  CHECK_FALSE(hc::text::is_white_space(0x001C));
  CHECK(hc::text::is_python_space(0x001C));
  CHECK(encode_utf8(hc::text::collapse_white_space(U"\u00a0 a\t\n\u2003b\u3000 ")) == "a b");
}

TEST_CASE("clean_clip_text chains unescape twice, strip, collapse and lower", "[text][clean]") {
  CHECK(hc::text::clean_clip_text("  &amp;amp; Double\u00a0\u00a0ESCAPED\n") == "& double escaped");
  CHECK(hc::text::clean_clip_text("AT&T &copy &nbsp;x") == "at&t \u00a9 x");
  CHECK(hc::text::clean_clip_text("a\u200bb") == "a\u200bb");  // ZWSP is not whitespace
  CHECK(hc::text::clean_clip_text(" \t\n").empty());
}

TEST_CASE("UTF-8: strict decoding names the offset, repair follows Python", "[text][utf8]") {
  CHECK_THROWS_WITH(decode_utf8("ab\xff", "caption 3"),
                    Catch::Contains("caption 3") && Catch::Contains("byte 2"));
  CHECK_THROWS_AS(decode_utf8("\xed\xa0\x80", "x"), hc::Error);     // surrogate
  CHECK_THROWS_AS(decode_utf8("\xc0\xaf", "x"), hc::Error);         // overlong
  CHECK_THROWS_AS(decode_utf8("\xf4\x90\x80\x80", "x"), hc::Error); // past U+10FFFF
  CHECK(hc::text::repair_utf8("a\xe2\x82") == "a\ufffd");             // one maximal subpart
  CHECK(hc::text::repair_utf8("\xe2\x82" "b\xff") == "\ufffd" "b\ufffd");
  CHECK(hc::text::repair_utf8("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");
  CHECK(encode_utf8(decode_utf8("\xf0\x9f\x98\x80 \xc3\xa9", "x")) == "\xf0\x9f\x98\x80 \xc3\xa9");
}
