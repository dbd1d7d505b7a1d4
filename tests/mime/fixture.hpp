#pragma once
// Loads a test fixture from tests/fixtures/mime and parses it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mailtriage/mime/parse.hpp"

namespace mailtriage::mime::test {

inline std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(MAILTRIAGE_MIME_FIXTURES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline message parse_fixture(const std::string& name, const limits& lim = {}) {
  return parse(read_fixture(name), lim);
}

inline bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace mailtriage::mime::test
