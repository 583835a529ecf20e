#pragma once
// The qualitative report of hierarchical retrieval: each image's predicted chain (general ->
// specific) beside its ground-truth hierarchies, as JSONL for programs and as one
// self-contained HTML page for people (thumbnails embedded as base64 JPEG, no external file,
// script or font).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hc/data/hierarcaps.h"

namespace hc {

struct QualitativeItem {
  int64_t coco_id = 0;
  std::filesystem::path image;                 // the image file
  std::vector<std::string> chain;              // predicted, general -> specific
  std::vector<double> scores;                  // each prediction's similarity with the image
  std::vector<HierarCapsChain> ground_truth;   // the image's rows in the CSV
};

// The items of a set (images in set order, at most max_images; 0 = all) with their chains.
std::vector<QualitativeItem> qualitative_items(const HierarCapsSet& set,
                                               const std::vector<std::vector<std::string>>& chains,
                                               const std::vector<std::vector<double>>& scores,
                                               std::size_t max_images = 0);

// One JSON object per line: {coco_id, file, chain, scores, ground_truth: [[4 texts], ...]}.
void write_chains_jsonl(const std::filesystem::path& path, const std::vector<QualitativeItem>& items);

struct QualitativePageInfo {
  std::string title = "HierarCaps hierarchical retrieval: predicted chains";
  std::string model;          // shown in the header
  std::string candidates;     // where the candidate texts came from
  std::size_t candidate_count = 0;
  int steps = 0;
  int thumbnail_size = 192;   // longest side of the thumbnails, pixels
  int threads = 0;            // thumbnail workers (compute.threads); 0 = all cores
};

// The HTML page, written atomically. Predicted texts that belong to the image's ground truth
// are marked. An image that cannot be decoded is an hc::Error naming it.
void write_chains_html(const std::filesystem::path& path, const std::vector<QualitativeItem>& items,
                       const QualitativePageInfo& info);

// "data:image/jpeg;base64,..." of the image scaled so that its longest side is at most
// max_side pixels (never enlarged).
std::string thumbnail_data_uri(const std::filesystem::path& image, int max_side);

// Text safe inside HTML elements and attribute values.
std::string html_escape(const std::string& text);

}  // namespace hc
