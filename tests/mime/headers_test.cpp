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

TEST(MimeHeaderField, ValueSliceOfRawValueOrSeparate) {
  const std::string raw = " hello world ";
  header_field slice("Subject", raw, std::string_view(raw).substr(1, 11));
  EXPECT_EQ(slice.name(), "Subject");
  EXPECT_EQ(slice.raw_value(), " hello world ");
  EXPECT_EQ(slice.value(), "hello world");
  header_field separate("X", " =?utf-8?Q?a?=", "a");
  EXPECT_EQ(separate.name(), "X");
  EXPECT_EQ(separate.raw_value(), " =?utf-8?Q?a?=");
  EXPECT_EQ(separate.value(), "a");
  header_field empty("To", "", "");
  EXPECT_EQ(empty.name(), "To");
  EXPECT_TRUE(empty.raw_value().empty());
  EXPECT_TRUE(empty.value().empty());
  header_field none;
  EXPECT_TRUE(none.name().empty() && none.raw_value().empty() && none.value().empty());
}

TEST(MimeHeaderField, CopiesAndMovesKeepTheirTexts) {
  // Short texts would sit in a std::string's inline buffer, which moves with the string.
  std::vector<header_field> fields;
  fields.emplace_back("A", " b", "b");
  fields.emplace_back("Long-Header-Name", " a value long enough to allocate", "a value long enough to allocate");
  for (int i = 0; i < 40; ++i) fields.emplace_back("N", " v", "v");  // reallocations move the first two
  message m;
  m.headers = std::move(fields);
  message moved = std::move(m);
  message copied = moved;
  for (const message* x : {&moved, &copied}) {
    ASSERT_EQ(x->headers.size(), 42u);
    EXPECT_EQ(x->header_value("a"), "b");
    EXPECT_EQ(x->headers[0].raw_value(), " b");
    EXPECT_EQ(x->header_value("long-header-name"), "a value long enough to allocate");
    EXPECT_EQ(x->headers[1].raw_value(), " a value long enough to allocate");
    EXPECT_EQ(x->all_headers("n").size(), 40u);
  }
}

TEST(MimeHeaderField, SharedBufferOutlivesTheMessage) {
  std::vector<header_field> kept;
  header_field moved_from;
  {
    message m = parse(
        "Subject: =?utf-8?Q?caf=C3=A9?=\r\n"
        "X-Folded: a\r\n b\r\n"
        "To: someone@example.com\r\n"
        "\r\nbody\r\n");
    ASSERT_EQ(m.headers.size(), 3u);
    kept = m.headers;                // copies share the section's buffer
    moved_from = std::move(m.headers[2]);
    message other = std::move(m);    // moving the message keeps the fields' views valid
    EXPECT_EQ(other.header_value("subject"), "caf\xC3\xA9");
    EXPECT_EQ(other.headers[1].value(), "a b");
    EXPECT_TRUE(other.headers[2].name().empty());  // moved-from field: empty, not dangling
    EXPECT_TRUE(other.headers[2].value().empty());
  }
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].name(), "Subject");
  EXPECT_EQ(kept[0].raw_value(), " =?utf-8?Q?caf=C3=A9?=");
  EXPECT_EQ(kept[0].value(), "caf\xC3\xA9");
  EXPECT_EQ(kept[1].raw_value(), " a\r\n b");
  EXPECT_EQ(kept[1].value(), "a b");
  EXPECT_EQ(kept[2].value(), "someone@example.com");
  EXPECT_EQ(moved_from.name(), "To");
  EXPECT_EQ(moved_from.value(), "someone@example.com");
  header_field assigned;
  assigned = kept[0];
  kept.clear();
  EXPECT_EQ(assigned.value(), "caf\xC3\xA9");
}

TEST(MimeHeaders, EightBitByteFoundAnywhereInALongValue) {
  const std::string ascii(100, 'a');
  EXPECT_FALSE(parse("X-Long: " + ascii + "\r\n\r\nx\r\n").defects.has(defect::eight_bit_header));
  for (std::size_t at : {0u, 7u, 31u, 32u, 40u, 63u, 64u, 95u, 99u}) {
    std::string v = ascii;
    v[at] = '\xE9';
    EXPECT_TRUE(parse("X-Long: " + v + "\r\n\r\nx\r\n").defects.has(defect::eight_bit_header)) << at;
  }
  EXPECT_TRUE(parse("X-\xE9: v\r\n\r\nx\r\n").defects.has(defect::eight_bit_header));
}

TEST(MimeHeaders, ValuesUnfoldedTrimmedAndDecoded) {
  message m = parse(
      "Plain:   spaced value  \r\n"
      "Folded: one\r\n two\r\n\tthree \r\n"
      "Bare-Cr: a\rb\r\n"
      "Encoded: =?utf-8?Q?caf=C3=A9?=\r\n"
      "Folded-Encoded: x =?utf-8?B?w6k=?=\r\n =?utf-8?B?w6k=?= y\r\n"
      "Empty:\r\n"
      "Folded-8bit: caf\xC3\xA9\r\n x\r\n"
      "Short: =?utf-8?Q?a?=\r\n"
      "\r\nbody\r\n");
  EXPECT_EQ(m.header_value("plain"), "spaced value");
  EXPECT_EQ(m.header("plain")->raw_value(), "   spaced value  ");
  EXPECT_EQ(m.header_value("folded"), "one two\tthree");
  EXPECT_EQ(m.header("folded")->raw_value(), " one\r\n two\r\n\tthree ");
  EXPECT_EQ(m.header_value("bare-cr"), "ab");
  EXPECT_EQ(m.header_value("encoded"), "caf\xC3\xA9");
  EXPECT_EQ(m.header_value("folded-encoded"), "x \xC3\xA9\xC3\xA9 y");
  ASSERT_NE(m.header("empty"), nullptr);
  EXPECT_EQ(m.header_value("empty"), "");
  EXPECT_EQ(m.header_value("folded-8bit"), "caf\xC3\xA9 x");
  EXPECT_EQ(m.header_value("short"), "a");
  // Values that are not slices of their raw value follow one another in the shared buffer.
  EXPECT_EQ(m.header("folded")->value(), "one two\tthree");
  EXPECT_EQ(m.header("folded-encoded")->value(), "x \xC3\xA9\xC3\xA9 y");
}

}  // namespace
}  // namespace mailtriage::mime::test
