#pragma once

namespace hc {
// The project version and the git revision the build was configured from.
const char* version();
const char* git_sha();
}  // namespace hc
