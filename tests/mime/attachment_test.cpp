#include <gtest/gtest.h>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

class MimeAttachments : public ::testing::Test {
 protected:
  void SetUp() override { m_ = parse_fixture("nested_attachments.eml"); }
  message m_;
};

TEST_F(MimeAttachments, Zip) {
  const attachment& a = m_.attachments.at(0);
  EXPECT_EQ(a.filename, "archive.zip");
  EXPECT_EQ(a.declared_type, "application/zip");
  EXPECT_EQ(a.sniffed, file_type::zip);
  EXPECT_EQ(a.size, 255u);
  EXPECT_FALSE(a.truncated);
}

TEST_F(MimeAttachments, FakePeWithRfc2231Filename) {
  const attachment& a = m_.attachments.at(1);
  EXPECT_EQ(a.filename, "\xE2\x82\xAC-invoice.pdf.exe");
  EXPECT_EQ(a.sniffed, file_type::pe);
  EXPECT_TRUE(is_executable_like(a.sniffed));
  EXPECT_EQ(a.size, 132u);
}

TEST_F(MimeAttachments, PdfWithEncodedWordName) {
  const attachment& a = m_.attachments.at(2);
  EXPECT_EQ(a.filename, "r\xC3\xA9sum\xC3\xA9.pdf");
  EXPECT_EQ(a.sniffed, file_type::pdf);
}

TEST_F(MimeAttachments, MacroDocumentDetectedInsideZip) {
  const attachment& a = m_.attachments.at(3);
  EXPECT_EQ(a.filename, "report.docx");
  EXPECT_EQ(a.sniffed, file_type::docm);
  EXPECT_EQ(to_string(a.sniffed), "docm");
}

TEST(MimeSniff, MagicBytes) {
  auto sniffed = [](std::string body) {
    std::string raw = "Content-Type: application/octet-stream\n\n" + body;
    message m = parse(raw);
    return m.attachments.at(0).sniffed;
  };
  EXPECT_EQ(sniffed("\x7F" "ELF\x02\x01\x01"), file_type::elf);
  EXPECT_EQ(sniffed("Rar!\x1A\x07\x01"), file_type::rar);
  EXPECT_EQ(sniffed("7z\xBC\xAF\x27\x1C\x00"), file_type::seven_zip);
  EXPECT_EQ(sniffed("\x1F\x8B\x08\x00"), file_type::gzip);
  EXPECT_EQ(sniffed("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00"), file_type::ole2);
  EXPECT_EQ(sniffed("{\\rtf1\\ansi"), file_type::rtf);
  EXPECT_EQ(sniffed("\x89PNG\r\n\x1A\n"), file_type::png);
  EXPECT_EQ(sniffed("\xFF\xD8\xFF\xE0"), file_type::jpeg);
  EXPECT_EQ(sniffed("GIF89a"), file_type::gif);
  EXPECT_EQ(sniffed("<!DOCTYPE html><html>"), file_type::html);
  EXPECT_EQ(sniffed(""), file_type::empty);
}

}  // namespace
}  // namespace mailtriage::mime::test
