#pragma once
// The output of features::extract: a sparse vector (sorted unique column indices and their
// values) plus the validated PII findings. Plain value types owned by the caller; copy or
// move freely; not synchronised.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mailtriage/features/token_names.hpp"

namespace mailtriage::features {

struct feature_vector {
  std::vector<std::uint32_t> indices;  // strictly increasing
  std::vector<float> values;           // values[i] belongs to indices[i]

  // Value at `column`, or nullopt when the column is absent (missing for the model).
  [[nodiscard]] std::optional<float> get(std::uint32_t column) const;
  friend bool operator==(const feature_vector&, const feature_vector&) = default;
};

// Validated personal data found in the subject and visible text (the policy engine acts
// on these; the same counts are also dense features in group "pii").
struct pii_flags {
  std::uint32_t payment_cards = 0;  // 13-19 digits, Luhn-valid, plausible issuer prefix
  std::uint32_t ibans = 0;          // country length table and mod-97 check
  std::uint32_t us_ssns = 0;        // NNN-NN-NNNN with the SSA area/group/serial rules
  std::uint32_t email_addresses = 0;
  std::uint32_t phone_numbers = 0;
  [[nodiscard]] bool any_sensitive() const { return payment_cards + ibans + us_ssns > 0; }
  friend bool operator==(const pii_flags&, const pii_flags&) = default;
};

// A set of columns, one bit per column index (bits past the end are not members).
using column_set = std::vector<bool>;

struct extraction {
  feature_vector vector;
  pii_flags pii;
};

}  // namespace mailtriage::features
