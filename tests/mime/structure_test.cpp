#include <gtest/gtest.h>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

TEST(MimeStructure, MultipartAlternative) {
  message m = parse_fixture("alternative.eml");
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.parts[0].kind, part_kind::multipart);
  EXPECT_EQ(m.parts[0].content_type, "multipart/alternative");
  EXPECT_EQ(m.parts[1].parent, 0);
  EXPECT_EQ(m.parts[1].depth, 1u);
  EXPECT_EQ(m.parts[1].kind, part_kind::text);
  EXPECT_EQ(m.parts[1].charset, "us-ascii");
  EXPECT_EQ(m.parts[2].kind, part_kind::html);
  EXPECT_EQ(m.parts[2].transfer_encoding, "quoted-printable");
  ASSERT_EQ(m.texts.size(), 2u);
  EXPECT_EQ(m.texts[0].text, "Hello Alice,\nSee the report at https://example.org/report?id=7. Or www.example.net/faq, thanks.");
  EXPECT_TRUE(m.texts[1].from_html);
  EXPECT_EQ(m.html_text(), "Hello Alice,\nSee the report.");
  EXPECT_TRUE(m.defects.empty()) << m.defects.to_string();
}

TEST(MimeStructure, PlainTextUrls) {
  message m = parse_fixture("alternative.eml");
  ASSERT_EQ(m.urls.size(), 2u);
  EXPECT_EQ(m.urls[0], "https://example.org/report?id=7");
  EXPECT_EQ(m.urls[1], "www.example.net/faq");
  ASSERT_EQ(m.links.size(), 1u);
  EXPECT_EQ(m.links[0].href, "https://example.org/report?id=7");
  EXPECT_EQ(m.links[0].text, "the report");
  EXPECT_EQ(m.links[0].part_index, 2u);
}

TEST(MimeStructure, NestedMixedWithEmbeddedMessage) {
  message m = parse_fixture("nested_attachments.eml");
  // root, alternative, plain, html, zip, exe, pdf, docx, message/rfc822, its body
  ASSERT_EQ(m.parts.size(), 10u);
  EXPECT_EQ(m.parts[1].content_type, "multipart/alternative");
  EXPECT_EQ(m.parts[2].depth, 2u);
  EXPECT_EQ(m.parts[2].parent, 1);
  EXPECT_EQ(m.parts[8].kind, part_kind::message);
  EXPECT_EQ(m.parts[9].parent, 8);
  EXPECT_EQ(m.parts[9].depth, 2u);
  ASSERT_NE(find_header(m.parts[9].headers, "subject"), nullptr);
  EXPECT_EQ(find_header(m.parts[9].headers, "subject")->value(), "forwarded");
  EXPECT_TRUE(contains(m.plain_text(), "Please find the files attached."));
  EXPECT_TRUE(contains(m.plain_text(), "Inner body text."));
  EXPECT_EQ(m.attachments.size(), 4u);
  EXPECT_TRUE(m.defects.empty()) << m.defects.to_string();
}

TEST(MimeStructure, EachTransferEncoding) {
  message m = parse_fixture("encodings.eml");
  ASSERT_EQ(m.texts.size(), 5u);
  EXPECT_EQ(m.texts[0].text, "seven bit text");
  EXPECT_EQ(m.texts[1].text, "eight bit \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(m.texts[2].text,
            "Price: 10 \xE2\x82\xAC and a very long line that must be wrapped by the quoted-printable encoder "
            "because it is longer than seventy-six characters.");
  EXPECT_EQ(m.texts[3].text, "base64 text \xC3\xBC" "ber");
  EXPECT_EQ(m.texts[4].text, "binary caf\xC3\xA9");
  EXPECT_EQ(m.parts[3].transfer_encoding, "quoted-printable");
  EXPECT_EQ(m.parts[4].transfer_encoding, "base64");
  EXPECT_EQ(m.parts[4].decoded_size, std::string("base64 text \xC3\xBC" "ber").size());
  EXPECT_GT(m.parts[4].raw_size, m.parts[4].decoded_size);
  EXPECT_TRUE(m.defects.empty()) << m.defects.to_string();
}

TEST(MimeStructure, LfAndCrlfGiveTheSameText) {
  std::string lf = "Subject: x\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\nline one\nline two\n--q--\n";
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(parse(lf).plain_text(), "line one\nline two");
  EXPECT_EQ(parse(crlf).plain_text(), "line one\nline two");
}

TEST(MimeStructure, UuencodedBlockBecomesAttachment) {
  message m = parse_fixture("uuencode.eml");
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_TRUE(m.attachments[0].from_uuencode);
  EXPECT_EQ(m.attachments[0].filename, "hello.txt");
  EXPECT_EQ(m.attachments[0].size, 3u);
  EXPECT_EQ(m.plain_text(), "Here is the file:\nBye.\n");
  EXPECT_TRUE(m.defects.has(defect::uuencoded_content));
}

}  // namespace
}  // namespace mailtriage::mime::test
