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
