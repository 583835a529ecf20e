#pragma once
// GPT-2's bytes_to_unicode(): every byte gets a printable stand-in character so that BPE
// vocabularies can be plain text. Printable Latin-1 bytes stand for themselves; the others
// (controls, space, NBSP, soft hyphen...) map to U+0100 onwards in byte order.
#include <array>
#include <cstdint>
#include <optional>

namespace hc::text {

// The 256 bytes in the order bytes_to_unicode() lists them: this order defines the first 256
// ids of the CLIP vocabulary.
const std::array<uint8_t, 256>& byte_order();

char32_t byte_to_char(uint8_t byte);

// The byte a stand-in character represents, or nothing for any other character.
std::optional<uint8_t> char_to_byte(char32_t c);

}  // namespace hc::text
