#include "hc/text/bpe_vocabulary.h"

#include <nlohmann/json.hpp>

#include <string_view>

#include "hc/core/error.h"
#include "hc/io/text_file.h"
#include "hc/text/byte_level.h"
#include "hc/text/utf8.h"

namespace hc::text {
namespace fs = std::filesystem;
namespace {

// simple_tokenizer.py reads exactly this many merges: the 49408-token vocabulary minus the
// 256 byte characters and the two special tokens (the 256 "</w>" forms are merges' results
// too, but counted with the bytes).
constexpr std::size_t kClipMergeCount = 49152 - 256 - 2;
constexpr const char* kVocabJson = "vocab.json";
constexpr const char* kMergesTxt = "merges.txt";
constexpr const char* kOpenAiMerges = "bpe_simple_vocab_16e6.txt.gz";
constexpr const char* kStartOfText = "<|startoftext|>";
constexpr const char* kEndOfText = "<|endoftext|>";

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// A merge line is two tokens separated by whitespace (Python's str.split(); a CRLF file's '\r'
// is whitespace too).
std::pair<std::string, std::string> parse_merge(std::string_view line, const fs::path& file,
                                                std::size_t line_number) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) ++pos;
    std::size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    if (end > pos) parts.emplace_back(line.substr(pos, end - pos));
    pos = end;
  }
  if (parts.size() != 2) {
    throw runtime_error("{}:{}: expected a merge of two tokens separated by a space, got '{}'",
                        file.string(), line_number, std::string(line));
  }
  return {std::move(parts[0]), std::move(parts[1])};
}

std::string read_utf8_file(const fs::path& path) {
  std::string text = read_text_file(path);
  decode_utf8(text, path.string());  // rejects binary junk with the byte offset
  return text;
}

std::vector<std::pair<std::string, std::string>> read_openai_merges(const fs::path& path) {
  const std::string text = read_utf8_file(path);
  const std::vector<std::string_view> lines = split_lines(text);
  // Line 0 is a header ("#version: 0.2"); merges are lines 1..kClipMergeCount.
  if (lines.size() < kClipMergeCount + 1) {
    throw runtime_error("{}: expected a header line and {} merges, found only {} lines",
                        path.string(), kClipMergeCount, lines.size());
  }
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(kClipMergeCount);
  for (std::size_t i = 1; i <= kClipMergeCount; ++i) {
    merges.push_back(parse_merge(lines[i], path, i + 1));
  }
  return merges;
}

std::string byte_char(uint8_t byte) {
  std::string out;
  append_utf8(byte_to_char(byte), out);
  return out;
}

// simple_tokenizer.py's vocabulary: byte characters, the same with "</w>", merges joined,
// special tokens. A repeated string keeps its last id, as Python's dict(zip(...)) does.
std::unordered_map<std::string, int32_t> derive_vocabulary(
    const std::vector<std::pair<std::string, std::string>>& merges) {
  std::vector<std::string> tokens;
  tokens.reserve(512 + merges.size() + 2);
  for (uint8_t byte : byte_order()) tokens.push_back(byte_char(byte));
  for (uint8_t byte : byte_order()) tokens.push_back(byte_char(byte) + "</w>");
  for (const auto& [left, right] : merges) tokens.push_back(left + right);
  tokens.emplace_back(kStartOfText);
  tokens.emplace_back(kEndOfText);
  std::unordered_map<std::string, int32_t> ids;
  for (std::size_t id = 0; id < tokens.size(); ++id) ids[tokens[id]] = static_cast<int32_t>(id);
  return ids;
}

std::unordered_map<std::string, int32_t> read_vocab_json(const fs::path& path) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_utf8_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw runtime_error("{}: not valid JSON ({})", path.string(), e.what());
  }
  if (!json.is_object() || json.empty()) {
    throw runtime_error("{}: expected a non-empty JSON object mapping tokens to ids",
                        path.string());
  }
  std::unordered_map<std::string, int32_t> ids;
  // Ids number the tokens densely (0..size-1): anything else is a corrupt file, and an absurd
  // id must not size the decode table.
  const auto size = static_cast<int64_t>(json.size());
  for (const auto& [token, id] : json.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= size) {
      throw runtime_error("{}: token '{}' has id {}, expected an integer from 0 to {}",
                          path.string(), token, id.dump(), size - 1);
    }
    ids[token] = static_cast<int32_t>(id.get<int64_t>());
  }
  return ids;
}

std::vector<std::pair<std::string, std::string>> read_merges_txt(const fs::path& path) {
  const std::string text = read_utf8_file(path);
  const std::vector<std::string_view> lines = split_lines(text);
  std::vector<std::pair<std::string, std::string>> merges;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (i == 0 && line.rfind("#version", 0) == 0) continue;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    merges.push_back(parse_merge(line, path, i + 1));
  }
  if (merges.empty()) throw runtime_error("{}: no merges found", path.string());
  return merges;
}

// Every merge must combine two known tokens into a known token; otherwise the files do not
// belong together and encoding would fail on some word much later.
void check_merges(const BpeVocabulary& vocabulary) {
  for (std::size_t rank = 0; rank < vocabulary.merges.size(); ++rank) {
    const auto& [left, right] = vocabulary.merges[rank];
    for (const std::string& token : {left, right, left + right}) {
      if (vocabulary.ids.count(token) == 0) {
        throw runtime_error("{}: merge {} ('{} {}') uses '{}', which is not in the vocabulary",
                            vocabulary.source, rank + 1, left, right, token);
      }
    }
  }
  for (const char* special : {kStartOfText, kEndOfText}) {
    if (vocabulary.ids.count(special) == 0) {
      throw runtime_error("{}: the vocabulary has no {} token", vocabulary.source, special);
    }
  }
}

BpeVocabulary load_openai(const fs::path& gz_file) {
  BpeVocabulary vocabulary;
  vocabulary.source = gz_file.string();
  vocabulary.merges = read_openai_merges(gz_file);
  vocabulary.ids = derive_vocabulary(vocabulary.merges);
  return vocabulary;
}

BpeVocabulary load_hugging_face(const fs::path& vocab_json, const fs::path& merges_txt) {
  BpeVocabulary vocabulary;
  vocabulary.source = vocab_json.string() + " + " + merges_txt.string();
  vocabulary.ids = read_vocab_json(vocab_json);
  vocabulary.merges = read_merges_txt(merges_txt);
  return vocabulary;
}

BpeVocabulary load_unchecked(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / kVocabJson) || fs::exists(path / kMergesTxt)) {
      return load_hugging_face(path / kVocabJson, path / kMergesTxt);
    }
    if (fs::exists(path / kOpenAiMerges)) return load_openai(path / kOpenAiMerges);
    throw runtime_error("{}: no tokenizer vocabulary here (expected {} + {}, or {})",
                        path.string(), kVocabJson, kMergesTxt, kOpenAiMerges);
  }
  if (!fs::exists(path, ec)) {
    throw runtime_error("{}: no such tokenizer vocabulary file or folder", path.string());
  }
  const fs::path name = path.filename();
  if (name == kVocabJson) return load_hugging_face(path, path.parent_path() / kMergesTxt);
  if (name == kMergesTxt) return load_hugging_face(path.parent_path() / kVocabJson, path);
  if (is_gzip_file(path)) return load_openai(path);
  throw runtime_error("{}: not a tokenizer vocabulary (expected a folder, {}, {} or a gzip "
                      "merges file like {})",
                      path.string(), kVocabJson, kMergesTxt, kOpenAiMerges);
}

}  // namespace

BpeVocabulary load_bpe_vocabulary(const fs::path& dir_or_file) {
  BpeVocabulary vocabulary = load_unchecked(dir_or_file);
  check_merges(vocabulary);
  return vocabulary;
}

}  // namespace hc::text
