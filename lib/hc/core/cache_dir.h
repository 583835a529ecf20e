#pragma once
#include <filesystem>

namespace hc {

// hc's own cache folder: $HC_CACHE_DIR, else $XDG_CACHE_HOME/hc, else ~/.cache/hc (empty
// variables count as unset). Nothing is created here; users of a sub-folder create it.
std::filesystem::path hc_cache_dir();

}  // namespace hc
