#include "mailtriage/util/log.hpp"

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

}  // namespace
}  // namespace mailtriage::log
