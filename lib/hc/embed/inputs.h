#pragma once
// Where the texts and images to embed come from, as named on a command line. Torch-free.
//
// Texts:  FILE            one text per line (an empty line is an empty text)
//         FILE.jsonl      the "text" field of each JSON line (hc/text/text_records.h)
//         FILE.csv:COLUMN one text per row of that column (also .tsv, .csv.gz)
// Images: FOLDER          its image files (.jpg .jpeg .png .bmp .webp .tif .tiff .ppm .pgm,
//                         any case), sorted by file name; sub-folders are not searched
//         LIST_FILE       one path per line; blank lines and lines starting with '#' skipped;
//                         relative paths are relative to the list's folder
//         FILE.csv:COLUMN one path per row, relative to the CSV's folder
//         IMAGE_FILE      that one image
// Listed images must exist; every error names the file (and line) at fault.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hc/text/text_records.h"

namespace hc {

struct CsvColumnSpec {
  std::filesystem::path file;
  std::string column;
};

// "data.csv:caption" -> {data.csv, caption}. Nullopt when spec names an existing file or
// folder as it is, or has no ':' after a CSV-like file name (.csv, .tsv, .csv.gz, .tsv.gz) or
// an existing file.
std::optional<CsvColumnSpec> parse_csv_column_spec(const std::string& spec);

// Whether the name ends in one of the image extensions above (any case).
bool has_image_extension(const std::filesystem::path& path);

TextRecords read_texts(const std::string& spec);

struct ImageList {
  std::string source;                       // the spec it came from
  std::vector<std::filesystem::path> paths; // in order; relative paths resolved as above
};

ImageList read_images(const std::string& spec);

}  // namespace hc
