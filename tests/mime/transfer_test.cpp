// Base64 decoding (transfer.cpp): the validating loop around mimetic's decoder, both the
// direct-to-buffer path and the capped path, against a reference encoder.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "fixture.hpp"
#include "transfer.hpp"

namespace mailtriage::mime::detail {
namespace {

using test::base64_encode;

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
    std::string clean = base64_encode(payload);
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

// Every byte value, inside a long run of alphabet characters (where runs are scanned 16
// characters at a time) and near its end: only the alphabet continues the run.
TEST(Base64, EveryByteValueIsClassifiedInsideLongRuns) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string clean, decoded_clean;
  for (int k = 0; k < 12; ++k) {
    clean += "QUJD";
    decoded_clean += "ABC";
  }
  for (int v = 0; v < 256; ++v) {
    const char c = static_cast<char>(v);
    for (std::size_t at : {std::size_t{5}, std::size_t{20}, std::size_t{33}, std::size_t{46}}) {
      std::string in = clean;
      in.insert(at, 1, c);
      const decoded d = decode_base64(in, 1 << 20);
      const decoded_extent e = measure_base64(in, 1 << 20);
      const bool in_alphabet = alphabet.find(c) != std::string::npos;
      const bool ignored = c == ' ' || c == '\t' || c == '\r' || c == '\n';
      if (in_alphabet) {
        EXPECT_EQ(d.bytes.size(), 36u) << v;  // 49 characters: 12 groups and a dangling one
        EXPECT_TRUE(d.bad) << v;
      } else if (c == '=') {
        EXPECT_TRUE(d.bad) << v;  // data after padding
      } else {
        EXPECT_EQ(d.bytes, decoded_clean) << v;
        EXPECT_EQ(d.bad, !ignored) << v;
      }
      EXPECT_EQ(e.size, d.bytes.size()) << v;
      EXPECT_EQ(e.bad, d.bad) << v;
    }
  }
}

// measure_base64 must report exactly what decode_base64 does, on any input and any cap:
// the parser trusts its size and flags for attachments it does not decode.
void expect_measure_matches_decode(const std::string& in, std::size_t cap) {
  const decoded d = decode_base64(in, cap);
  const decoded_extent e = measure_base64(in, cap);
  ASSERT_EQ(e.size, d.bytes.size()) << "cap " << cap << ": " << in;
  ASSERT_EQ(e.bad, d.bad) << "cap " << cap << ": " << in;
  ASSERT_EQ(e.capped, d.capped) << "cap " << cap << ": " << in;
}

TEST(Base64, MeasureReportsWhatDecodeDoes) {
  // mimetic keeps a lone character across padding: "Q=" then "UJD" decodes "ABC"
  // shifted by one character, with the length of a full group.
  for (const char* in : {"", "Q", "QQ", "QUI", "QUJD", "QUJDQ", "Q=UJD", "Q=UJDQ", "QQ==QUJD", "QU=JD==", "=QUJD",
                         "QUJD====QUJD", "QU.J.D", "Q U\r\nJ\tD", "QUJDQ=", "QUJDQU=", "QUJDQUI", "==", "Q=", "QU="})
    for (std::size_t cap : {0, 1, 2, 3, 4, 5, 6, 100}) expect_measure_matches_decode(in, cap);
  // Random mixes of every character class, so padding, junk and whitespace fall
  // anywhere, including inside groups and after a lone character.
  std::mt19937 rng(11);
  const std::string pieces[] = {"A", "Q", "z", "+", "/", "9", "=", "==", " ", "\r\n", ".", "\x80", "QUJD", "QUJDQUJD"};
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    for (std::size_t n = rng() % 24; n-- > 0;) in += pieces[rng() % std::size(pieces)];
    const std::size_t cap = rng() % 2 == 0 ? std::size_t{1} << 20 : rng() % 40;
    expect_measure_matches_decode(in, cap);
  }
  // Long encodings, whole and capped at every kind of position.
  for (int round = 0; round < 200; ++round) {
    std::string payload(rng() % 5000, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    std::string in = base64_encode(payload);
    if (rng() % 2 == 0) in.insert(rng() % (in.size() + 1), rng() % 2 == 0 ? "=" : "\r\n");
    expect_measure_matches_decode(in, std::size_t{1} << 20);
    expect_measure_matches_decode(in, rng() % (payload.size() + 2));
  }
}

}  // namespace
}  // namespace mailtriage::mime::detail
