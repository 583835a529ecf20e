// Sizes as typed on command lines (20G, 512M, 1.5TiB) and as shown in tables.
#include <catch2/catch.hpp>

#include "hc/core/byte_size.h"
#include "hc/core/error.h"

using Catch::Matchers::Contains;

TEST_CASE("parse_byte_size reads bytes and binary suffixes", "[core][size]") {
  CHECK(hc::parse_byte_size("0", "--max-size") == 0);
  CHECK(hc::parse_byte_size("4096", "--max-size") == 4096);
  CHECK(hc::parse_byte_size("512M", "--max-size") == int64_t{512} << 20);
  CHECK(hc::parse_byte_size("20G", "--max-size") == int64_t{20} << 30);
  CHECK(hc::parse_byte_size("20g", "--max-size") == int64_t{20} << 30);
  CHECK(hc::parse_byte_size("20GiB", "--max-size") == int64_t{20} << 30);
  CHECK(hc::parse_byte_size("20GB", "--max-size") == int64_t{20} << 30);
  CHECK(hc::parse_byte_size("1.5T", "--max-size") == int64_t{3} << 39);
  CHECK(hc::parse_byte_size("2K", "--max-size") == 2048);
  CHECK(hc::parse_byte_size("100B", "--max-size") == 100);
  for (const char* bad : {"", "G", "-1G", "20X", "20 G", "1.5", "1e3", "20GiBs", "9999999E"}) {
    INFO(bad);
    CHECK_THROWS_WITH(hc::parse_byte_size(bad, "--max-size"), Contains("--max-size"));
  }
}

TEST_CASE("format_byte_size shows three significant figures", "[core][size]") {
  CHECK(hc::format_byte_size(0) == "0 B");
  CHECK(hc::format_byte_size(1023) == "1023 B");
  CHECK(hc::format_byte_size(1536) == "1.50 KiB");
  CHECK(hc::format_byte_size(int64_t{20} << 30) == "20.0 GiB");
  CHECK(hc::format_byte_size(int64_t{300} << 20) == "300 MiB");
}
