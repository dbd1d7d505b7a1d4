#include <gtest/gtest.h>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

class MimeCharsets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { msg_ = new message(parse_fixture("charsets.eml")); }
  static void TearDownTestSuite() {
    delete msg_;
    msg_ = nullptr;
  }
  static const std::string& text(std::size_t i) { return msg_->texts.at(i).text; }
  static message* msg_;
};
message* MimeCharsets::msg_ = nullptr;

TEST_F(MimeCharsets, Iso2022Jp) { EXPECT_EQ(text(0), "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"); }
TEST_F(MimeCharsets, Windows1251) { EXPECT_EQ(text(1), "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"); }
TEST_F(MimeCharsets, Koi8r) { EXPECT_EQ(text(2), "\u0421\u043f\u0430\u0441\u0438\u0431\u043e"); }
TEST_F(MimeCharsets, Gb2312) { EXPECT_EQ(text(3), "\u4e2d\u6587\u6d4b\u8bd5"); }
TEST_F(MimeCharsets, ShiftJis) { EXPECT_EQ(text(4), "\u30ab\u30bf\u30ab\u30ca"); }
TEST_F(MimeCharsets, Iso8859_2) { EXPECT_EQ(text(5), "Za\u017c\u00f3\u0142\u0107"); }
TEST_F(MimeCharsets, MissingCharsetFallsBackToWindows1252) {
  EXPECT_EQ(text(6), "\u201cquoted\u201d \u20ac 5");
}
TEST_F(MimeCharsets, UnknownCharsetFlaggedAndFallsBack) {
  EXPECT_EQ(text(7), "na\u00efve");
  EXPECT_TRUE(msg_->defects.has(defect::bad_charset));
}

TEST(MimeCharset, InvalidSequencesReplaced) {
  // 0x82 alone is invalid in Shift_JIS's lead-byte position? No: use a truncated EUC-KR pair.
  message m = parse("Content-Type: text/plain; charset=euc-kr\n\nab\xB0\n");
  EXPECT_TRUE(contains(m.plain_text(), "ab\xEF\xBF\xBD"));
  EXPECT_TRUE(m.defects.has(defect::bad_charset));
}

TEST(MimeCharset, MislabelledUtf8IsKept) {
  message m = parse("Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xC3\xA9\n");
  EXPECT_EQ(m.plain_text(), "caf\xC3\xA9\n");
}

TEST(MimeCharset, DeclaredUtf8WithLatin1BytesFallsBack) {
  message m = parse("Content-Type: text/plain; charset=utf-8\n\ncaf\xE9\n");
  EXPECT_EQ(m.plain_text(), "caf\xC3\xA9\n");
  EXPECT_TRUE(m.defects.has(defect::bad_charset));
}

}  // namespace
}  // namespace mailtriage::mime::test
