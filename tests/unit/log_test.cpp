#include "mailtriage/util/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace mailtriage::log {
namespace {

TEST(Log, ParsesLevels) {
  EXPECT_EQ(parse_level("debug"), level::debug);
  EXPECT_EQ(parse_level("error"), level::error);
  EXPECT_THROW((void)parse_level("loud"), std::invalid_argument);
}

TEST(Log, LevelFilters) {
  set_level(level::warning);
  EXPECT_FALSE(enabled(level::info));
  EXPECT_TRUE(enabled(level::error));
  set_level(level::info);
}

TEST(Log, ControlBytesCannotForgeALine) {
  testing::internal::CaptureStderr();
  write(level::error, "x", {{"v", "a\nlevel=info event=forged"}});
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_NE(out.find("\\x0a"), std::string::npos);
}

TEST(Log, LinesAFullDiskRefusedAreCountedAndReportedOnceItTakesThemAgain) {
  int saved = ::dup(STDERR_FILENO);
  int full = ::open("/dev/full", O_WRONLY);  // every write fails with ENOSPC
  ASSERT_GE(full, 0);
  auto before = dropped_lines();
  ::dup2(full, STDERR_FILENO);
  for (int i = 0; i < 3; ++i) write(level::error, "lost");  // must return, not block or throw
  ::dup2(saved, STDERR_FILENO);
  ::close(full);
  ::close(saved);
  EXPECT_EQ(dropped_lines(), before + 3);
  testing::internal::CaptureStderr();
  write(level::error, "back");
  write(level::error, "again");
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  EXPECT_NE(out.find("event=log_lines_dropped count=3\n"), std::string::npos) << out;
  EXPECT_LT(out.find("event=log_lines_dropped"), out.find("event=back"));
}

}  // namespace
}  // namespace mailtriage::log

namespace mailtriage::log {
namespace {

TEST(LogJson, OneObjectPerLineWithEscapedValues) {
  std::string line = format_line(format::json, level::warning, "2025-01-02T03:04:05.678Z", "verdict",
                                 {{"session", "c00002a"}, {"queue_id", "4ABC"}, {"count", 3}, {"ratio", 0.5}});
  EXPECT_EQ(line,
            "{\"ts\":\"2025-01-02T03:04:05.678Z\",\"level\":\"warning\",\"event\":\"verdict\",\"session\":\"c00002a\","
            "\"queue_id\":\"4ABC\",\"count\":3,\"ratio\":0.500000}");
}

TEST(LogJson, ControlCharactersQuotesAndBadUtf8CannotBreakTheLine) {
  std::string hostile = "a\"b\\c\nd\re\tf\x01g\x7fh";
  hostile += "\xff\xc3(";              // invalid bytes, a truncated sequence
  hostile += "\xc3\xa9\xe2\x82\xac";   // valid: é €
  hostile += "\xed\xa0\x80";           // a UTF-16 surrogate, invalid in UTF-8
  hostile += "\xc0\xaf";               // overlong '/'
  std::string line = format_line(format::json, level::info, "T", "e", {{"v", hostile}});
  EXPECT_EQ(line,
            "{\"ts\":\"T\",\"level\":\"info\",\"event\":\"e\",\"v\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh"
            "\\ufffd\\ufffd(\xc3\xa9\xe2\x82\xac\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"}");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogJson, NonNumericNumbersAreQuoted) {
  std::string line = format_line(format::json, level::info, "T", "e", {{"x", 1.0 / 0.0}});
  EXPECT_NE(line.find("\"x\":\"inf\""), std::string::npos) << line;
}

TEST(LogText, FormatIsUnchanged) {
  EXPECT_EQ(format_line(format::text, level::info, "T", "verdict", {{"queue_id", "4ABC"}, {"rules", "a b"}}),
            "ts=T level=info event=verdict queue_id=4ABC rules=\"a b\"");
}

TEST(LogFormat, Parses) {
  EXPECT_EQ(parse_format("json"), format::json);
  EXPECT_EQ(parse_format("text"), format::text);
  EXPECT_THROW((void)parse_format("xml"), std::invalid_argument);
}

TEST(Pseudonym, StableForAKeyAndNormalised) {
  const std::string key = "0123456789abcdef-key-one";
  std::string a = pseudonym(key, "<Alice.Smith@Example.org>", false);
  EXPECT_EQ(a, pseudonym(key, "alice.smith@example.org", false));
  EXPECT_EQ(a.size(), 3u + 16u);
  EXPECT_EQ(a.rfind("ps:", 0), 0u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 3), std::string::npos);
  EXPECT_NE(a, pseudonym(key, "bob@example.org", false));
}

TEST(Pseudonym, DiffersAcrossKeys) {
  EXPECT_NE(pseudonym("0123456789abcdef-key-one", "alice@example.org", false),
            pseudonym("0123456789abcdef-key-two", "alice@example.org", false));
}

TEST(Pseudonym, IsHmacSha256OfTheNormalisedAddress) {
  // Computed independently (Python's hmac module):
  // hmac.new(b"0123456789abcdefghij", b"alice@example.org", sha256).hexdigest()[:16]
  EXPECT_EQ(pseudonym("0123456789abcdefghij", "alice@example.org", false), "ps:2623e2626ee54ef2");
}

TEST(Pseudonym, NeverContainsTheAddress) {
  const std::string key = "0123456789abcdef-key-one";
  for (const char* addr : {"alice@example.org", "<postmaster@mail.example.net>", "x@y"}) {
    std::string p = pseudonym(key, addr, false);
    EXPECT_EQ(p.find('@'), std::string::npos) << p;
    EXPECT_EQ(p.find("alice"), std::string::npos);
    EXPECT_EQ(p.find("example"), std::string::npos);
  }
}

TEST(Pseudonym, KeepsOnlyTheDomainWhenAsked) {
  const std::string key = "0123456789abcdef-key-one";
  std::string p = pseudonym(key, "<Alice@Example.ORG>", true);
  EXPECT_EQ(p, pseudonym(key, "alice@example.org", false) + "@example.org");
  EXPECT_EQ(p.find("alice"), std::string::npos);
  // Whatever follows the @ stays within host-name characters.
  EXPECT_EQ(pseudonym(key, "a@ex ample\n.org", true).substr(19), "@ex?ample?.org");
}

TEST(Pseudonym, NullSenderIsADash) {
  EXPECT_EQ(pseudonym("0123456789abcdef-key-one", "<>", false), "-");
  EXPECT_EQ(pseudonym("0123456789abcdef-key-one", "", true), "-");
}

TEST(Pseudonym, ProcessKeyCanBeSetAndMustBeLongEnough) {
  EXPECT_THROW(set_pseudonym_key("short"), std::invalid_argument);
  std::string random_key = pseudonym("alice@example.org");  // drawn at first use
  EXPECT_EQ(random_key, pseudonym("alice@example.org"));
  set_pseudonym_key("0123456789abcdef-key-one");
  EXPECT_EQ(pseudonym("alice@example.org"), pseudonym("0123456789abcdef-key-one", "alice@example.org", false));
}

}  // namespace
}  // namespace mailtriage::log
