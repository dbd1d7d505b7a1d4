// Hostile input, generated in memory: every limit must stop the parse with its defect
// flag and keep the output bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

TEST(MimeLimits, NestingBomb) {
  std::string raw = "From: a@example.com\nDate: x\n";
  for (int i = 0; i < 5000; ++i)
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" + std::to_string(i) + "\n";
  raw += "\nleaf\n";
  auto t0 = clock_type::now();
  message m = parse(raw);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_TRUE(m.defects.has(defect::depth_limit));
  EXPECT_LE(m.parts.size(), 22u);
  for (const auto& p : m.parts) EXPECT_LE(p.depth, 20u);
}

TEST(MimeLimits, MessageRfc822NestingBomb) {
  std::string raw;
  for (int i = 0; i < 3000; ++i) raw += "Content-Type: message/rfc822\n\n";
  raw += "Subject: innermost\n\nbody\n";
  message m = parse(raw);
  EXPECT_TRUE(m.defects.has(defect::depth_limit));
  EXPECT_LE(m.parts.size(), 21u);
}

TEST(MimeLimits, HeaderBomb) {
  std::string raw;
  raw.reserve(2'000'000);
  for (int i = 0; i < 100000; ++i) raw += "X-H" + std::to_string(i) + ": v\r\n";
  raw += "\r\nbody\r\n";
  auto t0 = clock_type::now();
  message m = parse(raw);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_TRUE(m.defects.has(defect::header_size_limit) || m.defects.has(defect::header_limit));
  EXPECT_LE(m.headers.size(), limits{}.max_headers);
  EXPECT_EQ(m.plain_text(), "body\n");  // the body is still found
}

TEST(MimeLimits, HeaderCountLimit) {
  limits lim;
  lim.max_headers = 10;
  std::string raw;
  for (int i = 0; i < 50; ++i) raw += "X-H: v\n";
  raw += "\nbody\n";
  message m = parse(raw, lim);
  EXPECT_TRUE(m.defects.has(defect::header_limit));
  EXPECT_EQ(m.headers.size(), 10u);
  EXPECT_EQ(m.plain_text(), "body\n");
}

TEST(MimeLimits, HugeFoldedHeader) {
  std::string raw = "Subject: start";
  for (int i = 0; i < 200000; ++i) raw += "\n =?utf-8?q?x?=";
  raw += "\n\nbody\n";
  auto t0 = clock_type::now();
  message m = parse(raw);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_TRUE(m.defects.has(defect::header_size_limit));
  EXPECT_EQ(m.plain_text(), "body\n");
}

TEST(MimeLimits, HugeBase64Line) {
  // One 50 MB base64 line with no line breaks.
  std::string raw = "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n";
  raw.append(50'000'000, 'Q');
  auto t0 = clock_type::now();
  message m = parse(raw);
  EXPECT_LT(seconds_since(t0), 5.0);
  EXPECT_TRUE(m.defects.has(defect::decoded_bytes_limit));
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].size, limits{}.max_part_decoded_bytes);
  EXPECT_TRUE(m.attachments[0].truncated);
}

TEST(MimeLimits, TotalDecodedBudgetStopsParsing) {
  limits lim;
  lim.max_part_decoded_bytes = 1000;
  lim.max_total_decoded_bytes = 2500;
  std::string raw = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 10; ++i) raw += "--b\nContent-Type: application/octet-stream\n\n" + std::string(1500, 'a') + "\n";
  raw += "--b--\n";
  message m = parse(raw, lim);
  EXPECT_TRUE(m.defects.has(defect::decoded_bytes_limit));
  std::size_t total = 0;
  for (const auto& a : m.attachments) total += a.size;
  EXPECT_LE(total, 2500u);
  EXPECT_LE(m.attachments.size(), 3u);
}

TEST(MimeLimits, PartBomb) {
  std::string raw = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 100000; ++i) raw += "--b\n\nx\n";
  raw += "--b--\n";
  auto t0 = clock_type::now();
  message m = parse(raw);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_TRUE(m.defects.has(defect::part_limit));
  EXPECT_LE(m.parts.size(), limits{}.max_parts);
}

TEST(MimeLimits, ManyUrls) {
  std::string raw = "Content-Type: text/plain\n\n";
  for (int i = 0; i < 5000; ++i) raw += "http://a.example/" + std::to_string(i) + " ";
  message m = parse(raw);
  EXPECT_EQ(m.urls.size(), limits{}.max_links);
  EXPECT_TRUE(m.defects.has(defect::url_limit));
}

TEST(MimeLimits, ManyEncodedWordCandidates) {
  // "=?" everywhere, never closed: must stay linear.
  std::string raw = "Subject: ";
  for (int i = 0; i < 60000; ++i) raw += "=?a?b?";
  raw += "\n\nx\n";
  auto t0 = clock_type::now();
  message m = parse(raw);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_FALSE(m.headers.empty());
}

}  // namespace
}  // namespace mailtriage::mime::test
