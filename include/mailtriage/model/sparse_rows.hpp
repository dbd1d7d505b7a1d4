#pragma once
// Rows of a sparse feature matrix in CSR form, the layout XGBoost reads without
// copying. Absent entries are "missing" to XGBoost, not zero. A plain value.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mailtriage::model {

struct sparse_rows {
  std::vector<std::uint64_t> indptr{0};  // row r spans [indptr[r], indptr[r+1])
  std::vector<std::uint32_t> indices;    // column of each entry, increasing within a row
  std::vector<float> values;
  std::size_t columns = 0;               // width of the matrix

  [[nodiscard]] std::size_t rows() const { return indptr.size() - 1; }
  // Appends one row; `cols` must be strictly increasing and < columns.
  void add_row(std::span<const std::uint32_t> cols, std::span<const float> vals);
  // The rows at `which`, in that order (for train/validation splits).
  [[nodiscard]] sparse_rows select(std::span<const std::size_t> which) const;
  // The same rows without the entries whose column c has keep[c] == false (columns
  // outside `keep` are kept); the width is unchanged.
  [[nodiscard]] sparse_rows without_columns(const std::vector<bool>& keep) const;
};

// How many rows hold an entry in each column (size `columns`).
[[nodiscard]] std::vector<std::uint32_t> document_frequency(const sparse_rows& rows);

}  // namespace mailtriage::model
