#include "generated_hierarchies.h"

#include <random>
#include <string>
#include <vector>

#include "test_support.h"

namespace hc::test {
namespace {

struct Category {
  std::string name;
  std::vector<std::string> objects;
};

const std::vector<Category>& categories() {
  static const std::vector<Category> all{
      {"animal", {"dog", "cat", "horse", "bird", "cow", "sheep"}},
      {"vehicle", {"car", "bus", "truck", "bicycle", "train", "boat"}},
      {"food", {"pizza", "sandwich", "cake", "apple", "banana", "salad"}},
      {"furniture", {"chair", "table", "bed", "sofa", "bench", "desk"}},
      {"person", {"man", "woman", "boy", "girl", "skier", "surfer"}},
  };
  return all;
}

const std::vector<std::string> kAttributes{"brown", "white", "small", "large", "red",
                                           "black", "old", "young", "striped", "wooden"};
const std::vector<std::string> kPlaces{"in a park", "on a road", "near a house",
                                       "on a beach", "in a kitchen", "next to a tree",
                                       "under a bridge", "in the snow"};

template <typename T>
std::size_t other_than(std::mt19937& engine, const std::vector<T>& values, std::size_t index) {
  std::uniform_int_distribution<std::size_t> draw(0, values.size() - 2);
  const std::size_t other = draw(engine);
  return other >= index ? other + 1 : other;
}

std::string quoted_csv(const std::string& text) { return "\"" + text + "\""; }

}  // namespace

void write_generated_hierarchies(const std::filesystem::path& csv, std::size_t rows,
                                 uint64_t seed) {
  std::mt19937 engine(static_cast<uint32_t>(seed));
  std::string out = "positive,negative,image_url\n";
  for (std::size_t row = 0; row < rows; ++row) {
    const auto& all = categories();
    const std::size_t c = std::uniform_int_distribution<std::size_t>(0, all.size() - 1)(engine);
    const Category& category = all[c];
    const std::size_t o =
        std::uniform_int_distribution<std::size_t>(0, category.objects.size() - 1)(engine);
    const std::size_t a = std::uniform_int_distribution<std::size_t>(0, kAttributes.size() - 1)(engine);
    const std::size_t p = std::uniform_int_distribution<std::size_t>(0, kPlaces.size() - 1)(engine);
    const std::string& object = category.objects[o];
    const std::string positive = category.name + " => " + object + " => " + kAttributes[a] + " " +
                                 object + " => a " + kAttributes[a] + " " + object + " " +
                                 kPlaces[p];
    const std::string negative =
        all[other_than(engine, all, c)].name + " => " +
        category.objects[other_than(engine, category.objects, o)] + " => " +
        kAttributes[other_than(engine, kAttributes, a)] + " " + object + " => a " +
        kAttributes[a] + " " + object + " " + kPlaces[other_than(engine, kPlaces, p)];
    out += quoted_csv(positive) + "," + quoted_csv(negative) + ",http://example.org/images/" +
           std::to_string(row) + ".jpg\n";
  }
  write_bytes(csv, out);
}

}  // namespace hc::test
