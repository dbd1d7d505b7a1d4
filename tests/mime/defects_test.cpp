#include <gtest/gtest.h>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

// A CR without its LF, at every offset of a CRLF message (the scan reads 16 or 8 bytes
// at a time, and the byte after them), and only then.
TEST(MimeDefects, BareCrAtAnyOffset) {
  std::string crlf = "From: a@example.org\r\nSubject: s\r\n\r\n";
  while (crlf.size() < 100) crlf += "line of text\r\n";
  EXPECT_FALSE(parse(crlf).defects.has(defect::bare_cr_or_lf_mix));
  for (std::size_t at = 0; at <= crlf.size(); ++at) {
    std::string raw = crlf;
    raw.insert(at, "\r");
    // The inserted CR is bare unless an LF follows; inserted between CR and LF, it
    // leaves the original CR bare instead.
    const bool bare = raw[at + 1] != '\n' || (at > 0 && raw[at - 1] == '\r');
    EXPECT_EQ(parse(raw).defects.has(defect::bare_cr_or_lf_mix), bare) << at;
  }
  EXPECT_TRUE(parse(crlf + "end\r").defects.has(defect::bare_cr_or_lf_mix));
}

TEST(MimeDefects, MissingClosingBoundaryAndTruncation) {
  message m = parse_fixture("missing_close_boundary.eml");
  EXPECT_TRUE(m.defects.has(defect::missing_closing_boundary));
  EXPECT_TRUE(m.defects.has(defect::truncated));
  ASSERT_EQ(m.texts.size(), 2u);
  EXPECT_EQ(m.texts[0].text, "first part");
  EXPECT_EQ(m.texts[1].text, "second part, cut off mid-sen");
}

TEST(MimeDefects, MultipartWithoutBoundaryParameter) {
  message m = parse("Content-Type: multipart/mixed\n\nsome text\n");
  EXPECT_TRUE(m.defects.has(defect::missing_boundary));
  EXPECT_EQ(m.plain_text(), "some text\n");
}

TEST(MimeDefects, BoundaryNeverFound) {
  message m = parse("Content-Type: multipart/mixed; boundary=zz\n\nsome text\n");
  EXPECT_TRUE(m.defects.has(defect::missing_boundary));
  EXPECT_EQ(m.plain_text(), "some text\n");
}

TEST(MimeDefects, BadBase64IsDecodedTolerantly) {
  message m = parse_fixture("bad_base64.eml");
  EXPECT_TRUE(m.defects.has(defect::bad_base64));
  EXPECT_EQ(m.plain_text(), "hello world");
}

TEST(MimeDefects, BadQuotedPrintable) {
  message m = parse_fixture("bad_qp.eml");
  EXPECT_TRUE(m.defects.has(defect::bad_qp));
  EXPECT_EQ(m.plain_text(), "100=% sure = yesno\n");
}

TEST(MimeDefects, EightBitHeaderNulAndDuplicateSubject) {
  message m = parse_fixture("eight_bit_nul.eml");
  EXPECT_TRUE(m.defects.has(defect::eight_bit_header));
  EXPECT_TRUE(m.defects.has(defect::nul_byte));
  EXPECT_TRUE(m.defects.has(defect::duplicate_critical_header));
  // Raw 8-bit header bytes: UTF-8 kept when valid, else read as windows-1252.
  EXPECT_EQ(m.header_value("subject"), "caf\xC3\xA9 \xC3\xA2\xE2\x80\x9A\xC2\xAC");
  EXPECT_EQ(m.plain_text(), std::string("body with a \0 NUL byte\n", 23));
}

TEST(MimeDefects, NoHeaders) {
  message m = parse_fixture("no_headers.eml");
  EXPECT_TRUE(m.defects.has(defect::missing_headers));
  EXPECT_TRUE(m.headers.empty());
  EXPECT_EQ(m.plain_text(), "just a body line\nanother line\n");
}

TEST(MimeDefects, UnknownTransferEncoding) {
  message m = parse("Content-Transfer-Encoding: x-rot13\n\ntext\n");
  EXPECT_TRUE(m.defects.has(defect::unknown_transfer_encoding));
  EXPECT_EQ(m.plain_text(), "text\n");
}

TEST(MimeDefects, EmptyInput) {
  message m = parse("");
  EXPECT_TRUE(m.defects.has(defect::missing_headers));
  EXPECT_EQ(m.parts.size(), 1u);
}

TEST(MimeDefects, NamesAreStable) {
  defect_set s;
  s.set(defect::bad_base64);
  s.set(defect::depth_limit);
  EXPECT_EQ(s.to_string(), "bad_base64,depth_limit");
  EXPECT_EQ(s.count(), 2);
  EXPECT_EQ(to_string(defect::uuencoded_content), "uuencoded_content");
}

}  // namespace
}  // namespace mailtriage::mime::test
