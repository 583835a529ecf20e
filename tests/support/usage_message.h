#pragma once
// The message of the usage hc::Error a call throws, for matching its wording; a call that throws
// nothing, or another kind of error, fails the test.
#include <catch2/catch.hpp>

#include <string>

#include "hc/core/error.h"

namespace hc::test {

template <typename F>
std::string usage_message(F&& call) {
  try {
    call();
  } catch (const hc::Error& e) {
    CHECK(e.kind() == hc::Error::Kind::Usage);
    return e.what();
  }
  FAIL("expected a usage error, got none");
  return "";
}

}  // namespace hc::test
