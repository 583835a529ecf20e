#include "hc/data/hyperlex.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "hc/core/config.h"
#include "hc/core/error.h"
#include "hc/io/text_file.h"

namespace hc {
namespace {

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Where each column sits in a row; -1 = absent.
struct Columns {
  int word1 = 0, word2 = 1, pos = 2, type = 3, avg_score = 4, avg_score_0_10 = 5;
  std::size_t required_fields = 6;  // fields a row must have

  static Columns standard() { return Columns{}; }

  static Columns from_header(const std::vector<std::string_view>& header,
                             const std::filesystem::path& file, std::size_t line) {
    Columns c{-1, -1, -1, -1, -1, -1, 0};
    for (std::size_t i = 0; i < header.size(); ++i) {
      const std::string_view name = header[i];
      int* slot = nullptr;
      if (iequals(name, "WORD1")) slot = &c.word1;
      else if (iequals(name, "WORD2")) slot = &c.word2;
      else if (iequals(name, "POS")) slot = &c.pos;
      else if (iequals(name, "TYPE")) slot = &c.type;
      else if (iequals(name, "AVG_SCORE")) slot = &c.avg_score;
      else if (iequals(name, "AVG_SCORE_0_10")) slot = &c.avg_score_0_10;
      if (slot != nullptr && *slot < 0) *slot = static_cast<int>(i);
    }
    const std::pair<const char*, int> required[] = {
        {"WORD1", c.word1}, {"WORD2", c.word2}, {"POS", c.pos}, {"TYPE", c.type},
        {"AVG_SCORE", c.avg_score}};
    for (const auto& [name, index] : required) {
      if (index < 0) {
        throw runtime_error(
            "{}:{}: the header has no {} column (expected WORD1 WORD2 POS TYPE AVG_SCORE "
            "AVG_SCORE_0_10 STD SCORES..)",
            file.string(), line, name);
      }
    }
    for (int index : {c.word1, c.word2, c.pos, c.type, c.avg_score, c.avg_score_0_10}) {
      c.required_fields = std::max(c.required_fields, static_cast<std::size_t>(index + 1));
    }
    return c;
  }
};

double parse_score(std::string_view text, const char* column, const std::filesystem::path& file,
                   std::size_t line) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    throw runtime_error("{}:{}: {} must be a number, got '{}'", file.string(), line, column,
                        std::string(text));
  }
  return value;
}

// A header names the word columns; a data row would need words called WORD1 and WORD2.
bool is_header(const std::vector<std::string_view>& fields) {
  auto has = [&](std::string_view name) {
    return std::any_of(fields.begin(), fields.end(),
                       [&](std::string_view field) { return iequals(field, name); });
  };
  return has("WORD1") && has("WORD2");
}

}  // namespace

std::size_t HyperLexSet::count_pos(const std::string& pos) const {
  std::size_t count = 0;
  for (const auto& pair : pairs) count += pair.pos == pos ? 1 : 0;
  return count;
}

std::vector<double> HyperLexSet::gold(const std::string& column) const {
  const bool scaled = column == "AVG_SCORE_0_10";
  if (!scaled && column != "AVG_SCORE") {
    throw usage_error("unknown HyperLex gold column '{}': expected AVG_SCORE or AVG_SCORE_0_10",
                      column);
  }
  if (scaled && !has_avg_score_0_10) {
    throw runtime_error("{}: no AVG_SCORE_0_10 column; use the gold column AVG_SCORE",
                        source.string());
  }
  std::vector<double> values;
  values.reserve(pairs.size());
  for (const auto& pair : pairs) values.push_back(scaled ? pair.avg_score_0_10 : pair.avg_score);
  return values;
}

void HyperLexOptions::declare(ConfigSchema& schema, const std::string& section) {
  schema.add(section + ".file", file,
             "HyperLex-format file (hyperlex-all.txt, the noun/verb or split files; plain or .gz)")
      .check_non_empty()
      .flag("--data");
  schema.add(section + ".pos", pos, "pairs to evaluate: all, N (nouns) or V (verbs)")
      .one_of({"all", "N", "V"})
      .flag("--pos");
  schema.add(section + ".gold", gold, "gold column: AVG_SCORE or AVG_SCORE_0_10 (same ranks)")
      .one_of({"AVG_SCORE", "AVG_SCORE_0_10"});
}

HyperLexSet load_hyperlex(const HyperLexOptions& options) {
  return load_hyperlex(options.file, options.pos);
}

HyperLexSet load_hyperlex(const std::filesystem::path& file, const std::string& pos) {
  if (pos != "all" && pos != "N" && pos != "V") {
    throw usage_error("unknown HyperLex POS filter '{}': expected all, N or V", pos);
  }
  if (!std::filesystem::exists(file)) {
    throw runtime_error("{}: no such HyperLex file", file.string());
  }
  LineReader reader(file);
  HyperLexSet set;
  set.source = file;
  std::optional<Columns> columns;
  bool saw_header = false;
  std::unordered_map<std::string, std::size_t> word_index;
  auto index_of = [&](const std::string& word) {
    auto [it, inserted] = word_index.emplace(word, set.words.size());
    if (inserted) set.words.push_back(word);
    return it->second;
  };

  bool every_row_scaled = true;
  std::string line;
  while (reader.next(line)) {
    std::string_view text = line;
    if (reader.line_number() == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    const auto fields = split_whitespace(text);
    if (fields.empty()) continue;
    const std::size_t number = reader.line_number();
    if (!columns) {
      if (is_header(fields)) {
        columns = Columns::from_header(fields, file, number);
        saw_header = true;
        continue;
      }
      columns = Columns::standard();
      columns->required_fields = 5;  // without a header AVG_SCORE_0_10 is optional
    } else if (is_header(fields)) {
      throw runtime_error("{}:{}: a second header line", file.string(), number);
    }
    const Columns& c = *columns;
    if (fields.size() < c.required_fields) {
      throw runtime_error(
          "{}:{}: expected at least {} whitespace-separated fields (WORD1 WORD2 POS TYPE "
          "AVG_SCORE AVG_SCORE_0_10 ...), got {}",
          file.string(), number, c.required_fields, fields.size());
    }
    HyperLexPair pair;
    pair.line = number;
    pair.word1 = std::string(fields[c.word1]);
    pair.word2 = std::string(fields[c.word2]);
    pair.pos = std::string(fields[c.pos]);
    pair.type = std::string(fields[c.type]);
    if (pair.pos != "N" && pair.pos != "V") {
      throw runtime_error("{}:{}: POS must be N or V, got '{}'", file.string(), number, pair.pos);
    }
    pair.avg_score = parse_score(fields[c.avg_score], "AVG_SCORE", file, number);
    const bool has_scaled =
        c.avg_score_0_10 >= 0 && static_cast<std::size_t>(c.avg_score_0_10) < fields.size();
    pair.avg_score_0_10 =
        has_scaled ? parse_score(fields[c.avg_score_0_10], "AVG_SCORE_0_10", file, number)
                   : std::numeric_limits<double>::quiet_NaN();
    every_row_scaled = every_row_scaled && has_scaled;
    if (pos != "all" && pair.pos != pos) continue;
    pair.word1_index = index_of(pair.word1);
    pair.word2_index = index_of(pair.word2);
    set.pairs.push_back(std::move(pair));
  }

  if (!columns) throw runtime_error("{}: the HyperLex file is empty", file.string());
  set.has_avg_score_0_10 = every_row_scaled;
  if (set.pairs.empty() && pos == "all") {
    throw runtime_error("{}: no HyperLex pairs{}", file.string(),
                        saw_header ? " after the header" : "");
  }
  if (set.pairs.empty()) {
    throw runtime_error("{}: no pairs with POS {} (the POS filter hyperlex.pos left none)",
                        file.string(), pos);
  }
  return set;
}

}  // namespace hc
