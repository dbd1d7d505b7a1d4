// Base64 decoding (transfer.cpp): the validating loop around mimetic's decoder, both the
// direct-to-buffer path and the capped path, against a reference encoder.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "transfer.hpp"

namespace mailtriage::mime::detail {
namespace {

std::string encode(const std::string& bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest != 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

TEST(Base64, DecodesWholeAndPaddedGroups) {
  EXPECT_EQ(decode_base64("QUJD", 100).bytes, "ABC");
  EXPECT_EQ(decode_base64("QUI=", 100).bytes, "AB");
  EXPECT_EQ(decode_base64("QQ==", 100).bytes, "A");
  EXPECT_FALSE(decode_base64("QUJD\r\nQUJD\r\n", 100).bad);
}

TEST(Base64, AGroupSplitByJunkStillDecodesAndIsFlagged) {
  // Runs shorter than a group, separated by characters outside the alphabet.
  decoded d = decode_base64("QU.J.D", 100);
  EXPECT_EQ(d.bytes, "ABC");
  EXPECT_TRUE(d.bad);
  d = decode_base64("Q U\r\nJ\tD", 100);
  EXPECT_EQ(d.bytes, "ABC");
  EXPECT_FALSE(d.bad);
}

TEST(Base64, DataAfterPaddingStartsAFreshGroup) {
  decoded d = decode_base64("QQ==QUJD", 100);
  EXPECT_EQ(d.bytes, "AABC");
  EXPECT_TRUE(d.bad);
}

TEST(Base64, DanglingSingleCharacterIsFlagged) {
  decoded d = decode_base64("QUJDQ", 100);
  EXPECT_EQ(d.bytes, "ABC");
  EXPECT_TRUE(d.bad);
}

// Random payloads, folded at random widths with random noise between characters: the
// result must not depend on where runs of alphabet characters start and end.
TEST(Base64, NoiseAndLineBreaksDoNotChangeTheBytes) {
  std::mt19937 rng(7);
  const std::string noise[] = {"\r\n", " ", "\t", "\n", ".", "-", "\x80"};
  for (int round = 0; round < 400; ++round) {
    std::string payload(rng() % 200, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    std::string clean = encode(payload);
    std::string noisy;
    bool junk = false;
    for (char c : clean) {
      if (rng() % 5 == 0) {
        const std::string& n = noise[rng() % std::size(noise)];
        junk = junk || n == "." || n == "-" || n == "\x80";
        noisy += n;
      }
      noisy += c;
    }
    decoded d = decode_base64(noisy, 1 << 20);
    ASSERT_EQ(d.bytes, payload) << noisy;
    EXPECT_EQ(d.bad, junk) << noisy;
    EXPECT_FALSE(d.capped);
    // The capped path gives a prefix and says so.
    if (payload.size() > 1) {
      std::size_t cap = rng() % payload.size();
      decoded c = decode_base64(noisy, cap);
      ASSERT_EQ(c.bytes, payload.substr(0, cap)) << noisy;
      EXPECT_TRUE(c.capped);
    }
  }
}

}  // namespace
}  // namespace mailtriage::mime::detail
