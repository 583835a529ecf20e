#pragma once
// Generated HierarCaps train-format hierarchies for training tests: a category, an object of
// it, the object with an attribute, and a sentence placing it, e.g.
//   animal => dog => brown dog => a brown dog in a park
// with a negative chain whose level t contradicts positive level t and entails level t-1
// (vehicle, cat, white dog, a brown dog on a road). Each row names an image of its own.
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace hc::test {

// Writes `rows` rows (columns positive, negative, image_url) to `csv`; the same seed gives the
// same file.
void write_generated_hierarchies(const std::filesystem::path& csv, std::size_t rows,
                                 uint64_t seed = 0);

}  // namespace hc::test
