#pragma once
// RFC 5322 date-time parsing (private): "Tue, 1 Oct 2002 10:00:00 +0100" and the usual
// deviations (no weekday, 2-digit years, missing seconds, zone names, trailing comments).
// Pure, thread-safe. Only ever used for differences between two dates (skew), never to
// expose the date itself as a feature.
#include <cstdint>
#include <optional>
#include <string_view>

namespace mailtriage::features::detail {

// Seconds since 1970-01-01T00:00:00Z, or nullopt when `s` is not a date.
[[nodiscard]] std::optional<std::int64_t> parse_rfc5322_date(std::string_view s);

}  // namespace mailtriage::features::detail
