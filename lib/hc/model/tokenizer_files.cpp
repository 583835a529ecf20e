#include "hc/model/tokenizer_files.h"

#include <cstdlib>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"
#include "hc/text/bpe_vocabulary.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {
namespace fs = std::filesystem;

namespace {

constexpr const char* kVocabJson = "vocab.json";
constexpr const char* kMergesTxt = "merges.txt";
constexpr const char* kStartOfText = "<|startoftext|>";
constexpr const char* kEndOfText = "<|endoftext|>";

// The folder whose vocab.json + merges.txt `vocabulary` names, if it names such a pair.
fs::path hugging_face_pair(const fs::path& vocabulary) {
  std::error_code ec;
  if (fs::is_directory(vocabulary, ec)) return has_tokenizer_files(vocabulary) ? vocabulary : "";
  const fs::path name = vocabulary.filename();
  if (name == kVocabJson || name == kMergesTxt) {
    const fs::path dir = vocabulary.has_parent_path() ? vocabulary.parent_path() : ".";
    return has_tokenizer_files(dir) ? dir : "";
  }
  return "";
}

// Python's json.dumps(vocab, ensure_ascii=False) of the token -> id map in id order: what
// Hugging Face's CLIPTokenizer.save_vocabulary writes (one line, ", " and ": " separators).
std::string vocab_json_text(const text::BpeVocabulary& vocabulary) {
  std::map<int32_t, const std::string*> by_id;
  for (const auto& [token, id] : vocabulary.ids) by_id[id] = &token;
  std::string out = "{";
  bool first = true;
  for (const auto& [id, token] : by_id) {
    if (!first) out += ", ";
    first = false;
    out += nlohmann::json(*token).dump() + ": " + std::to_string(id);
  }
  return out + "}";
}

std::string merges_txt_text(const text::BpeVocabulary& vocabulary) {
  std::string out = "#version: 0.2\n";
  for (const auto& [left, right] : vocabulary.merges) out += left + " " + right + "\n";
  return out;
}

void copy_file_atomically(const fs::path& from, const fs::path& to) {
  AtomicFile out(to, true);
  std::error_code ec;
  fs::copy_file(from, out.temp_path(), fs::copy_options::overwrite_existing, ec);
  if (ec) throw runtime_error("cannot copy {} to {}: {}", from.string(), to.string(), ec.message());
  // The copy keeps the source's mode; a read-only source (a shared data folder) must not make
  // the new checkpoint's files read-only.
  fs::permissions(out.temp_path(), fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::add, ec);
  out.commit();
}

nlohmann::ordered_json tokenizer_config(int64_t context_length) {
  return {{"add_prefix_space", false},
          {"bos_token", kStartOfText},
          {"clean_up_tokenization_spaces", true},
          {"do_lower_case", true},
          {"eos_token", kEndOfText},
          {"errors", "replace"},
          {"model_max_length", context_length},
          {"pad_token", kEndOfText},
          {"tokenizer_class", "CLIPTokenizer"},
          {"unk_token", kEndOfText}};
}

nlohmann::ordered_json special_tokens_map() {
  return {{"bos_token", kStartOfText},
          {"eos_token", kEndOfText},
          {"pad_token", kEndOfText},
          {"unk_token", kEndOfText}};
}

// Texts that exercise the cleaning, the pre-tokenizer, multi-byte characters and the special
// tokens.
const std::vector<std::string>& sample_texts() {
  static const std::vector<std::string> texts = {
      "",
      "a photo of a goat eating leaves on the island",
      "An ANIMAL =>  goat,   on an island!! (2024) 3.14 don't",
      "na\xc3\xafve caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x90\x90 &amp; <b>html</b>",
      "<|startoftext|>hello<|endoftext|> world",
      "pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilistic",
  };
  return texts;
}

void check_same_tokenizer(const fs::path& source, const fs::path& dir) {
  const text::BpeVocabulary expected = text::load_bpe_vocabulary(source);
  const text::BpeVocabulary written = text::load_bpe_vocabulary(dir);
  if (written.ids != expected.ids || written.merges != expected.merges) {
    throw runtime_error("the tokenizer files written to {} do not hold the vocabulary of {} "
                        "({} vs {} tokens, {} vs {} merges)",
                        dir.string(), source.string(), written.ids.size(), expected.ids.size(),
                        written.merges.size(), expected.merges.size());
  }
  const ClipTokenizer a = ClipTokenizer::load(source);
  const ClipTokenizer b = ClipTokenizer::load(dir);
  for (const std::string& text : sample_texts()) {
    if (a.encode_with_specials(text) != b.encode_with_specials(text)) {
      throw runtime_error("the tokenizer files written to {} tokenize '{}' unlike {}",
                          dir.string(), text, source.string());
    }
  }
}

}  // namespace

bool has_tokenizer_files(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / kVocabJson, ec) && fs::is_regular_file(dir / kMergesTxt, ec);
}

fs::path vocabulary_or_environment(const fs::path& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("HC_VOCAB");
  return env && *env ? fs::path(env) : fs::path();
}

std::string vocabulary_hint() {
  return "a folder with vocab.json + merges.txt (any Hugging Face CLIP checkpoint has them) or "
         "OpenAI's bpe_simple_vocab_16e6.txt.gz, which hc cannot ship: `data/fetch.sh "
         "data/downloads clip` downloads it into data/downloads/clip-tokenizer/; the HC_VOCAB "
         "environment variable may name it instead";
}

void write_tokenizer_files(const fs::path& vocabulary, const fs::path& dir,
                           int64_t context_length) {
  const fs::path pair = hugging_face_pair(vocabulary);
  if (!pair.empty()) {
    text::load_bpe_vocabulary(pair);  // a corrupt pair is reported against its source
    copy_file_atomically(pair / kVocabJson, dir / kVocabJson);
    copy_file_atomically(pair / kMergesTxt, dir / kMergesTxt);
  } else {
    const text::BpeVocabulary loaded = text::load_bpe_vocabulary(vocabulary);
    write_file_atomically(dir / kVocabJson, vocab_json_text(loaded));
    write_file_atomically(dir / kMergesTxt, merges_txt_text(loaded));
  }
  write_file_atomically(dir / "tokenizer_config.json",
                        tokenizer_config(context_length).dump(2) + "\n");
  write_file_atomically(dir / "special_tokens_map.json", special_tokens_map().dump(2) + "\n");
  check_same_tokenizer(pair.empty() ? vocabulary : pair, dir);
}

}  // namespace hc
