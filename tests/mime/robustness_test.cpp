// Every fixture cut at every offset, and with deterministic byte corruption: parse() must
// return (no crash, no exception) and keep its output bounded. Most useful under the
// asan preset.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

const char* const fixtures[] = {"alternative.eml",      "nested_attachments.eml", "encodings.eml",
                                "charsets.eml",         "missing_close_boundary.eml", "bad_base64.eml",
                                "eight_bit_nul.eml",    "bad_qp.eml",             "no_headers.eml",
                                "uuencode.eml",         "phishing_html.eml"};

void check_bounded(const message& m, std::size_t raw_size) {
  EXPECT_LE(m.parts.size(), limits{}.max_parts);
  std::size_t text = 0;
  for (const auto& t : m.texts) text += t.text.size();
  EXPECT_LE(text, 4 * raw_size + 64);
}

TEST(MimeRobustness, EveryTruncation) {
  for (const char* name : fixtures) {
    const std::string raw = read_fixture(name);
    for (std::size_t n = 0; n <= raw.size(); n += 7) {
      message m = parse(std::string_view(raw).substr(0, n));
      check_bounded(m, n);
    }
  }
}

TEST(MimeRobustness, ByteCorruption) {
  std::uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  const char specials[] = {'\0', '\r', '\n', '-', '=', '?', '<', '>', '"', ';', ':', '\x80', '\xFF', ' '};
  for (const char* name : fixtures) {
    const std::string raw = read_fixture(name);
    for (int round = 0; round < 40; ++round) {
      std::string mutated = raw;
      for (int k = 0; k < 8 && !mutated.empty(); ++k)
        mutated[next() % mutated.size()] = specials[next() % sizeof specials];
      message m = parse(mutated);
      check_bounded(m, mutated.size());
    }
  }
}

}  // namespace
}  // namespace mailtriage::mime::test
