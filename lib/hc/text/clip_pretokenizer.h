#pragma once
// CLIP's pre-tokenisation: the cleaned, lower-cased text is cut into the pieces BPE works on by
//   <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (case-insensitive), taking every match left to right as Python's regex.findall does.
#include <functional>
#include <memory>
#include <string_view>

namespace hc::text {

class ClipPretokenizer {
 public:
  ClipPretokenizer();  // compiles the pattern once (JIT when PCRE2 has it)
  ~ClipPretokenizer();
  ClipPretokenizer(const ClipPretokenizer&) = delete;
  ClipPretokenizer& operator=(const ClipPretokenizer&) = delete;

  // Calls piece(...) for each match in text (valid UTF-8). Safe from several threads at once.
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

 private:
  struct Pattern;
  std::unique_ptr<Pattern> pattern_;
};

}  // namespace hc::text
