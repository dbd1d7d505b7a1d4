#pragma once
// Validated PII detectors over UTF-8 text (private). Pure, thread-safe, linear time.
#include <cstdint>
#include <string_view>

namespace mailtriage::features::detail {

struct pii_counts {
  std::uint32_t cards = 0;
  std::uint32_t card_candidates_invalid = 0;
  std::uint32_t ibans = 0;
  std::uint32_t ssns = 0;
  std::uint32_t phones = 0;
};

// Adds the findings of `text` to `counts` (each count saturates at 1000).
void scan_pii(std::string_view text, pii_counts& counts);

[[nodiscard]] bool luhn_valid(std::string_view digits);
// `iban` without spaces, upper-case letters; checks the country length and mod-97.
[[nodiscard]] bool iban_valid(std::string_view iban);
[[nodiscard]] bool ssn_valid(int area, int group, int serial);

}  // namespace mailtriage::features::detail
