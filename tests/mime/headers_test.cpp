#include <gtest/gtest.h>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

TEST(MimeHeaders, DecodesEncodedWordsAndKeepsOrder) {
  message m = parse_fixture("alternative.eml");
  ASSERT_GE(m.headers.size(), 8u);
  EXPECT_EQ(m.headers[0].name(), "From");
  EXPECT_EQ(m.header_value("from"), "Andr\xC3\xA9 Pirard <andre@example.com>");
  // Two adjacent B words: the whitespace between them disappears.
  EXPECT_EQ(m.header_value("SUBJECT"), "Gr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBCnchen \xE2\x82\xAC");
  EXPECT_EQ(m.header("Subject")->raw_value(), " =?UTF-8?B?R3LDvMOfZSBhdXMg?= =?UTF-8?B?TcO8bmNoZW4g4oKs?=");
}

TEST(MimeHeaders, UnfoldsFoldedFields) {
  message m = parse_fixture("alternative.eml");
  const header_field* f = m.header("x-folded");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value(), "first part second part");
  EXPECT_TRUE(contains(f->raw_value(), "\r\n second part"));
}

TEST(MimeHeaders, FindsAllValuesCaseInsensitively) {
  message m = parse_fixture("eight_bit_nul.eml");
  auto subjects = m.all_headers("subject");
  ASSERT_EQ(subjects.size(), 2u);
  EXPECT_EQ(subjects[1]->value(), "second subject");
  EXPECT_EQ(m.header("no-such-header"), nullptr);
  EXPECT_EQ(m.header_value("no-such-header"), "");
}

TEST(MimeHeaders, KoiEncodedWord) {
  message m = parse_fixture("charsets.eml");
  EXPECT_EQ(m.header_value("subject"), "\xD0\xA2\xD0\xB5\xD1\x81\xD1\x82");  // Тест
}

TEST(MimeHeaders, QEncodingUnderscoresAndMixedText) {
  message m = parse("Subject: Re: =?iso-8859-1?q?caf=E9_cr=E8me?= now\r\n\r\nx\r\n");
  EXPECT_EQ(m.header_value("subject"), "Re: caf\xC3\xA9 cr\xC3\xA8me now");
}

TEST(MimeHeaders, MalformedEncodedWordIsKeptLiterally) {
  message m = parse("Subject: =?utf-8?X?abc?= and =?broken\r\n\r\nx\r\n");
  EXPECT_EQ(m.header_value("subject"), "=?utf-8?X?abc?= and =?broken");
}

TEST(MimeHeaders, EncodedWordSplitInsideCharacter) {
  // "€" (E2 82 AC) split over two Q words.
  message m = parse("Subject: =?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?=\r\n\r\nx\r\n");
  EXPECT_EQ(m.header_value("subject"), "\xE2\x82\xAC");
}

TEST(MimeHeaders, MboxFromLineIsSkipped) {
  message m = parse("From someone@example.com Mon Jan  1 00:00:00 2020\nSubject: hi\n\nbody\n");
  ASSERT_EQ(m.headers.size(), 1u);
  EXPECT_EQ(m.headers[0].name(), "Subject");
}

}  // namespace
}  // namespace mailtriage::mime::test
