#pragma once
#include <string_view>

namespace mailtriage::daemon {
// Says whether and how mailtriage handled a message ("seen", "skipped; reason=...").
inline constexpr std::string_view kStatusHeader = "X-Triage-Status";
}  // namespace mailtriage::daemon
