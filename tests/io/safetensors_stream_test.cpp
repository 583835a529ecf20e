// The streaming safetensors writer: the header first, then each tensor's bytes passed on as they
// come (nothing buffered by the writer), checked against the specs, and files that appear whole
// or not at all.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "hc/core/error.h"
#include "hc/io/safetensors.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

// An unbuffered sink that counts what reaches it, and fails once `fail_after` bytes came.
class CountingSink : public std::streambuf {
 public:
  explicit CountingSink(std::size_t fail_after = SIZE_MAX) : fail_after_(fail_after) {}
  std::size_t received() const { return received_; }
  std::size_t largest_write() const { return largest_; }
  const std::string& bytes() const { return bytes_; }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    char c = traits_type::to_char_type(ch);
    return xsputn(&c, 1) == 1 ? ch : traits_type::eof();
  }
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    const auto count = static_cast<std::size_t>(size);
    if (received_ + count > fail_after_) return 0;
    received_ += count;
    largest_ = std::max(largest_, count);
    bytes_.append(data, count);
    return size;
  }

 private:
  std::size_t fail_after_;
  std::size_t received_ = 0;
  std::size_t largest_ = 0;
  std::string bytes_;
};

std::vector<hc::TensorSpec> specs() {
  return {{"a", hc::DType::F32, {3, 5}},
          {"b", hc::DType::I64, {}},
          {"c", hc::DType::U8, {0}},
          {"d", hc::DType::BF16, {1000}}};
}

std::size_t byte_size(const hc::TensorSpec& spec) {
  std::size_t size = hc::dtype_size(spec.dtype);
  for (int64_t dim : spec.shape) size *= static_cast<std::size_t>(dim);
  return size;
}

std::string pattern(std::size_t size, std::size_t seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 13 + seed) & 0xff);
  return bytes;
}

// Writes each tensor's pattern in pieces of 7 bytes.
void write_pattern(std::size_t index, std::ostream& out) {
  const std::string bytes = pattern(byte_size(specs()[index]), index);
  for (std::size_t at = 0; at < bytes.size(); at += 7) {
    out.write(bytes.data() + at,
              static_cast<std::streamsize>(std::min<std::size_t>(7, bytes.size() - at)));
  }
}

std::uint64_t header_length(const std::string& bytes) {
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
  return length;
}

}  // namespace

TEST_CASE("the streaming writer passes each tensor on as it comes, holding none") {
  CountingSink sink;
  std::ostream out(&sink);
  std::vector<std::size_t> before_each;
  hc::write_safetensors(
      out, specs(), {{"format", "pt"}},
      [&](std::size_t index, std::ostream& tensor_out) {
        before_each.push_back(sink.received());
        write_pattern(index, tensor_out);
        // Every byte handed over has reached the sink: the writer buffers nothing.
        CHECK(sink.received() == before_each.back() + byte_size(specs()[index]));
      },
      "memory");
  const std::string& bytes = sink.bytes();
  const std::size_t data_start = 8 + header_length(bytes);
  CHECK(data_start % 8 == 0);
  // The whole header came before the first tensor's bytes were asked for.
  REQUIRE(before_each.size() == specs().size());
  CHECK(before_each.front() == data_start);
  // The writer's own writes are the header's; tensor bytes arrive in the caller's pieces.
  CHECK(sink.largest_write() <= std::max<std::size_t>(data_start, 7));

  hc::test::TempDir dir;
  hc::test::write_bytes(dir / "streamed.safetensors", bytes);
  auto file = hc::SafetensorsFile::open(dir / "streamed.safetensors");
  CHECK(file->metadata().at("format") == "pt");
  REQUIRE(file->names().size() == specs().size());
  for (std::size_t i = 0; i < specs().size(); ++i) {
    const hc::TensorView& view = file->get(specs()[i].name);
    CHECK(view.dtype == specs()[i].dtype);
    CHECK(view.shape == specs()[i].shape);
    CHECK(std::string(reinterpret_cast<const char*>(view.data), view.nbytes) ==
          pattern(byte_size(specs()[i]), i));
  }
}

TEST_CASE("the streaming writer and the collecting writer write the same file") {
  hc::test::TempDir dir;
  hc::write_safetensors_file(dir / "streamed.safetensors", specs(), {{"k", "v"}}, write_pattern);
  hc::SafetensorsWriter writer;
  for (std::size_t i = 0; i < specs().size(); ++i) {
    const std::string bytes = pattern(byte_size(specs()[i]), i);
    writer.add(specs()[i].name, specs()[i].dtype, specs()[i].shape, bytes.data(), bytes.size());
  }
  writer.set_metadata("k", "v");
  writer.write(dir / "collected.safetensors");
  CHECK(hc::test::read_bytes(dir / "streamed.safetensors") ==
        hc::test::read_bytes(dir / "collected.safetensors"));
}

TEST_CASE("a tensor with the wrong byte count or a bad spec is an error naming it") {
  hc::test::TempDir dir;
  const fs::path path = dir / "bad.safetensors";
  SECTION("too few bytes") {
    const auto short_b = [](std::size_t index, std::ostream& out) {
      if (index == 1) {
        out.write("1234", 4);
      } else {
        write_pattern(index, out);
      }
    };
    REQUIRE_THROWS_WITH(hc::write_safetensors_file(path, specs(), {}, short_b),
                        Catch::Matchers::Contains("\"b\"") &&
                            Catch::Matchers::Contains("gave 4 bytes") &&
                            Catch::Matchers::Contains("need 8"));
  }
  SECTION("a repeated name") {
    auto repeated = specs();
    repeated.push_back(repeated.front());
    REQUIRE_THROWS_WITH(hc::write_safetensors_file(path, repeated, {}, write_pattern),
                        Catch::Matchers::Contains("\"a\" given twice"));
  }
  SECTION("a reserved name") {
    REQUIRE_THROWS_WITH(hc::write_safetensors_file(path, {{"__metadata__", hc::DType::F32, {1}}},
                                                   {}, write_pattern),
                        Catch::Matchers::Contains("reserved"));
  }
  CHECK(fs::is_empty(dir.path()));  // no file, no temporary file
}

TEST_CASE("a sink that fails halfway is reported naming the tensor") {
  const std::size_t header = [] {
    CountingSink probe;
    std::ostream out(&probe);
    hc::write_safetensors(out, specs(), {}, write_pattern, "probe");
    return 8 + header_length(probe.bytes());
  }();
  CountingSink sink(header + byte_size(specs()[0]) + 10);  // fails inside tensor "d"
  std::ostream out(&sink);
  REQUIRE_THROWS_WITH(
      hc::write_safetensors(out, specs(), {}, write_pattern, "the sink"),
      Catch::Matchers::Contains("cannot write the sink") && Catch::Matchers::Contains("\"d\""));
  CHECK_FALSE(out.good());
}

TEST_CASE("safetensors: releasing a tensor's pages keeps it readable from the file", "[io]") {
  hc::test::TempDir dir;
  // Big enough to span whole pages, with a small neighbour sharing the edge pages.
  std::vector<float> big(1 << 18);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 977) * 0.5f;
  const std::vector<float> small{1.0f, 2.0f, 3.0f};
  hc::SafetensorsWriter writer;
  writer.add("small", hc::DType::F32, {3}, small.data(), small.size() * sizeof(float));
  writer.add("big", hc::DType::F32, {static_cast<int64_t>(big.size())}, big.data(),
             big.size() * sizeof(float));
  const fs::path path = dir.path() / "pages.safetensors";
  writer.write(path);

  auto file = hc::SafetensorsFile::open(path);
  const hc::TensorView& view = file->get("big");
  REQUIRE(std::memcmp(view.data, big.data(), view.nbytes) == 0);
  file->release("big");
  file->release("small");
  // Read again after the release: the pages come back from the file, unchanged.
  CHECK(std::memcmp(view.data, big.data(), view.nbytes) == 0);
  CHECK(std::memcmp(file->get("small").data, small.data(), 3 * sizeof(float)) == 0);
  CHECK_THROWS_AS(file->release("absent"), hc::Error);
}
