#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>

#include "fixture.hpp"
#include "sniff.hpp"
#include "transfer.hpp"

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

message with_attachment(const std::string& bytes, const std::string& extra_base64 = "") {
  return parse("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
               "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
               "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n" +
               base64_encode(bytes, 76) + extra_base64 + "\r\n--b--\r\n");
}

// An attachment larger than what sniffing reads is measured, not decoded: its type,
// size and defects must come out as if it had been decoded whole.
TEST(MimeSniff, LargeAttachmentsKeepTheirTypeSizeAndDefects) {
  std::string pdf = "%PDF-1.7\n" + std::string(300 * 1024, 'x');
  message m = with_attachment(pdf);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].sniffed, file_type::pdf);
  EXPECT_EQ(m.attachments[0].size, pdf.size());
  EXPECT_FALSE(m.attachments[0].truncated);
  EXPECT_EQ(m.parts.back().decoded_size, pdf.size());
  EXPECT_FALSE(m.defects.has(defect::bad_base64));

  // Junk far beyond the head is still seen.
  m = with_attachment(pdf, "QU.JD");
  EXPECT_TRUE(m.defects.has(defect::bad_base64));
  EXPECT_EQ(m.attachments[0].size, pdf.size() + 3);

  // BMP: the header's size field against the whole size.
  std::string bmp = "BM" + std::string(4, '\0') + std::string(200 * 1024, 'b');
  const auto n = static_cast<std::uint32_t>(bmp.size());
  for (int k = 0; k < 4; ++k) bmp[2 + k] = static_cast<char>(n >> (8 * k) & 0xFF);
  EXPECT_EQ(with_attachment(bmp).attachments.at(0).sniffed, file_type::bmp);

  // ISO 9660: the signature at 0x8001, inside the head.
  std::string iso(0x9000, '\0');
  iso.replace(0x8001, 5, "CD001");
  EXPECT_EQ(with_attachment(iso).attachments.at(0).sniffed, file_type::iso);

  // Past the decoded-bytes limit: the kept size is the limit, and it says so.
  std::string big = "\xFF\xD8\xFF\xE0" + std::string(limits{}.max_part_decoded_bytes + 1000, 'j');
  m = with_attachment(big);
  EXPECT_EQ(m.attachments.at(0).sniffed, file_type::jpeg);
  EXPECT_EQ(m.attachments[0].size, limits{}.max_part_decoded_bytes);
  EXPECT_TRUE(m.attachments[0].truncated);
  EXPECT_TRUE(m.defects.has(defect::decoded_bytes_limit));
}

// Against the reference, decoding the whole attachment and sniffing all of it: large
// attachments of several types with junk, stray padding and blank lines anywhere
// (inside the head too), under decoded-bytes limits that do and do not cut them.
TEST(MimeSniff, MeasuredAttachmentsMatchDecodingThemWhole) {
  std::mt19937 rng(5);
  const std::string heads[] = {"%PDF-1.4\n", "\xFF\xD8\xFF\xE0", "\x89PNG\r\n\x1A\n", "PK\x03\x04", "BM", "", "MZ"};
  const std::string noise[] = {".", "=", "==", "\r\n\r\n", "  ", "\x80", "Q", "QU"};
  for (int round = 0; round < 60; ++round) {
    const std::string& head = heads[rng() % std::size(heads)];
    std::string bytes = head;
    bytes.resize(head.size() + 20000 + rng() % 120000);
    for (std::size_t i = head.size(); i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng() % 7 == 0 ? rng() : 'a');
    std::string b64 = base64_encode(bytes, 76);
    for (int k = static_cast<int>(rng() % 4); k-- > 0;) {
      // Anywhere, but mostly in the first 60,000 characters, where the head is decoded.
      const std::size_t span = rng() % 2 == 0 ? std::min<std::size_t>(b64.size(), 60000) : b64.size();
      b64.insert(rng() % (span + 1), noise[rng() % std::size(noise)]);
    }
    limits lim;
    lim.max_part_decoded_bytes = rng() % 2 == 0 ? lim.max_part_decoded_bytes : 40000 + rng() % 100000;
    const std::string raw = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64;
    const message m = parse(raw, lim);
    const detail::decoded whole = detail::decode_base64(b64, lim.max_part_decoded_bytes);
    ASSERT_EQ(m.attachments.size(), 1u);
    EXPECT_EQ(m.attachments[0].size, whole.bytes.size()) << "round " << round;
    EXPECT_EQ(m.attachments[0].truncated, whole.capped) << "round " << round;
    EXPECT_EQ(m.attachments[0].sniffed, detail::sniff(whole.bytes, whole.bytes.size())) << "round " << round;
    EXPECT_EQ(m.defects.has(defect::bad_base64), whole.bad) << "round " << round;
  }
}

// A ZIP archive is still decoded whole: its central directory, at the end, tells an
// Office document from a plain archive.
TEST(MimeSniff, LargeZipIsReadToItsCentralDirectory) {
  const std::string name = "word/document.xml";
  const std::string data(100 * 1024, 'd');
  auto le = [](std::string& s, std::uint32_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) s += static_cast<char>(v >> (8 * k) & 0xFF);
  };
  std::string zip = "PK\x03\x04";
  zip += std::string(14, '\0');
  le(zip, static_cast<std::uint32_t>(data.size()), 4);  // compressed size
  le(zip, static_cast<std::uint32_t>(data.size()), 4);
  le(zip, static_cast<std::uint32_t>(name.size()), 2);
  le(zip, 0, 2);
  zip += name + data;
  const auto cd = static_cast<std::uint32_t>(zip.size());
  zip += "PK\x01\x02";
  zip += std::string(24, '\0');
  le(zip, static_cast<std::uint32_t>(name.size()), 2);
  zip += std::string(16, '\0');
  zip += name;
  zip += "PK\x05\x06";
  zip += std::string(6, '\0');
  le(zip, 1, 2);
  le(zip, static_cast<std::uint32_t>(zip.size() - cd - 10), 4);  // directory size (unused)
  le(zip, cd, 4);
  le(zip, 0, 2);
  message m = with_attachment(zip);
  EXPECT_EQ(m.attachments.at(0).sniffed, file_type::docx);
  EXPECT_EQ(m.attachments[0].size, zip.size());
}

}  // namespace
}  // namespace mailtriage::mime::test
