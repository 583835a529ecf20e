#pragma once
// Sizes as people type and read them: "20G", "512M", "1.5T", "4096" (bytes). Suffixes are
// binary (K = 1024, G = 1024^3), with an optional "i" and/or "B" ("20GiB", "20GB" and "20g" all
// mean 20 * 1024^3), as du -h and SLURM's --mem read them.
#include <cstdint>
#include <string>

namespace hc {

// Throws a usage hc::Error naming `what` (e.g. "--max-size") for text that is not a size.
int64_t parse_byte_size(const std::string& text, const std::string& what);

// "1.5 GiB", "12.0 MiB", "512 B": three significant figures, for logs and tables.
std::string format_byte_size(int64_t bytes);

}  // namespace hc
