#pragma once
// Loads a test fixture from tests/fixtures/mime and parses it; a reference Base64 encoder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

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

// Base64 of `bytes`, padded; with `line` > 0 a CRLF after every `line` characters (76
// as mail carries it). The reference the decoder's tests compare against.
inline std::string base64_encode(std::string_view bytes, std::size_t line = 0) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t in_line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    unsigned v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? alphabet[(v >> (18 - 6 * k)) & 63] : '=';
    if (line != 0 && (in_line += 4) >= line) {
      out += "\r\n";
      in_line = 0;
    }
  }
  return out;
}

inline bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace mailtriage::mime::test
