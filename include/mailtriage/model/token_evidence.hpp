#pragma once
// Stacked token evidence: a naive-Bayes layer under the trees. For each label it sums
// the log-odds of every present token column (document frequencies with Laplace
// smoothing, label against the rest) and hands the sums to XGBoost as extra columns.
// Trees split on one token at a time and cannot add up hundreds of weak word signals;
// naive Bayes does exactly that, and the trees then combine it with the structural,
// header and URL evidence. Training uses out-of-fold sums (see train_stacked) so the
// trees never see evidence computed from the row's own tokens.
//
// Immutable after construction; append() is safe from many threads.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/model/sparse_rows.hpp"

namespace mailtriage::model {

class token_evidence {
 public:
  token_evidence() = default;
  // Counts token presence per label over `rows` (only columns in [first, first+count)).
  static token_evidence fit(const sparse_rows& rows, std::span<const int> labels, std::size_t classes,
                            std::uint32_t first, std::uint32_t count);

  // The evidence columns start at `base` (the extractor's column count): one per label.
  [[nodiscard]] std::size_t outputs() const { return classes_; }
  // Appends the evidence values to a row (columns must stay sorted: base is past them).
  void append(std::vector<std::uint32_t>& cols, std::vector<float>& vals, std::uint32_t base) const;
  // The evidence for one row, one value per label.
  [[nodiscard]] std::vector<float> evaluate(std::span<const std::uint32_t> cols) const;

  [[nodiscard]] std::string serialize() const;
  // Throws model_error on malformed bytes.
  static token_evidence deserialize(std::string_view bytes);

 private:
  std::size_t classes_ = 0;
  std::uint32_t first_ = 0, count_ = 0;
  std::vector<float> weights_;  // count_ x classes_: log-odds of the token for each label
};

// Adds out-of-fold token evidence columns to `rows` in place (k folds by row index
// modulo k, deterministic) and returns the evidence fitted on all rows, for serving
// and for validation data.
[[nodiscard]] token_evidence stack_out_of_fold(sparse_rows& rows, std::span<const int> labels, std::size_t classes,
                                               std::uint32_t first, std::uint32_t count, std::uint32_t base,
                                               std::size_t folds = 5);

// Adds `evidence` columns to every row of `rows` (validation, evaluation).
void stack(sparse_rows& rows, const token_evidence& evidence, std::uint32_t base);

}  // namespace mailtriage::model
