#pragma once
// RFC 5322 date-time parsing, public for tools that summarise corpora (training data
// date ranges). The extractor itself only ever uses differences between dates.
#include <cstdint>
#include <optional>
#include <string_view>

namespace mailtriage::features {

// Seconds since 1970-01-01T00:00:00Z, or nullopt when `s` is not a date.
[[nodiscard]] std::optional<std::int64_t> parse_date(std::string_view s);

}  // namespace mailtriage::features
