#pragma once
// HyperLex (Vulic et al. 2017): graded lexical entailment, "to what degree is WORD1 a type of
// WORD2?". Files are whitespace separated with the header
//   WORD1 WORD2 POS TYPE AVG_SCORE AVG_SCORE_0_10 STD SCORES..
// (hyperlex-all.txt, the noun and verb files, the random and lexical split files all share it).
// Columns are found by the header's names; a file without a header is read in that column
// order. The individual SCORES are not kept. Torch-free.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

class ConfigSchema;

struct HyperLexPair {
  std::string word1;                       // the specific word (e.g. dog)
  std::string word2;                       // the general word (e.g. animal)
  std::string pos;                         // "N" or "V"
  std::string type;                        // WordNet relation: hyp-N, r-hyp-N, cohyp, mero, ...
  double avg_score = 0.0;                  // AVG_SCORE, in [0, 6]
  double avg_score_0_10 = 0.0;             // AVG_SCORE_0_10; NaN when the file has no such column
  std::size_t word1_index = 0;             // into HyperLexSet::words
  std::size_t word2_index = 0;
  std::size_t line = 0;                    // 1-based line in the file
};

struct HyperLexSet {
  std::filesystem::path source;
  std::vector<HyperLexPair> pairs;  // file order (after the POS filter)
  // Distinct words in order of first appearance, WORD1 before WORD2 within a row: what gets
  // embedded, once each.
  std::vector<std::string> words;
  bool has_avg_score_0_10 = false;

  std::size_t count_pos(const std::string& pos) const;
  // The gold column per pair: "AVG_SCORE" or "AVG_SCORE_0_10" (an hc::Error when the file has
  // no such column).
  std::vector<double> gold(const std::string& column) const;
};

struct HyperLexOptions {
  std::filesystem::path file;          // hyperlex-all.txt or any file in its format (plain or .gz)
  std::string pos = "all";             // all, N (nouns only) or V (verbs only)
  std::string gold = "AVG_SCORE";      // AVG_SCORE or AVG_SCORE_0_10 (same ranks)

  // Keys <section>.file, <section>.pos, <section>.gold.
  void declare(ConfigSchema& schema, const std::string& section = "hyperlex");
};

// Reads the file. A malformed line (too few fields, a score that is not a finite number, a POS
// other than N or V, an empty word) is an hc::Error naming file:line and what was expected; so
// is a file with no pairs (empty, or a header alone), or none left after the POS filter.
HyperLexSet load_hyperlex(const HyperLexOptions& options);
HyperLexSet load_hyperlex(const std::filesystem::path& file, const std::string& pos = "all");

}  // namespace hc
