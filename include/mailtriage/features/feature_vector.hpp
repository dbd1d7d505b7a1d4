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

// A set of columns, one bit per column index (columns past size() are not members).
// Plain 64-bit words rather than std::vector<bool>: the extractor tests it for every token.
class column_set {
 public:
  column_set() = default;
  explicit column_set(const std::vector<bool>& members) : size_(members.size()), words_((members.size() + 63) / 64) {
    for (std::size_t c = 0; c < members.size(); ++c)
      if (members[c]) words_[c / 64] |= std::uint64_t{1} << (c % 64);
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool contains(std::size_t column) const {
    return column < size_ && ((words_[column / 64] >> (column % 64)) & 1) != 0;
  }

 private:
  std::size_t size_ = 0;
  std::vector<std::uint64_t> words_;
};

struct extraction {
  feature_vector vector;
  pii_flags pii;
};

}  // namespace mailtriage::features
