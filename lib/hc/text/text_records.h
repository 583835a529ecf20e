#pragma once
// Texts to tokenise, read from a file or stdin: one text per line, or, for a .jsonl file, one
// JSON object per line whose "text" field is the text (so texts may hold newlines). Each text
// remembers its line, so later errors can point at `file:LINE`.
#include <cstddef>
#include <string>
#include <vector>

namespace hc {

struct TextRecords {
  std::string source;               // the file name, or "<stdin>"
  std::vector<std::string> texts;   // UTF-8, checked
  std::vector<std::size_t> lines;   // 1-based line of each text

  // "file:LINE" of text i.
  std::string where(std::size_t i) const;
};

// path "-" reads stdin as lines. A missing file, invalid UTF-8, a malformed JSON line or one
// without a "text" string is an hc::Error naming the file and line. In line mode every line is
// a text (an empty line is an empty text); in JSONL mode blank lines are skipped.
TextRecords read_text_records(const std::string& path);

}  // namespace hc
