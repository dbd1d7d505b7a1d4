#pragma once
// One trained XGBoost model, through XGBoost's C API. Owns its BoosterHandle.
//
// Thread-safety: predict() and contributions() are safe to call from many threads
// at once (XGBoost keeps prediction buffers per thread; the model is configured once
// at load, before the booster is shared). Loading and saving are not concurrent with
// anything else.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/model/sparse_rows.hpp"

namespace mailtriage::model {

struct model_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class booster {
 public:
  // Loads a model saved by save() (UBJSON or JSON). Throws model_error.
  static booster from_bytes(std::string_view bytes, std::size_t columns);
  // Takes ownership of a raw handle (used by the trainer).
  booster(void* handle, std::size_t columns);
  booster(booster&&) noexcept;
  booster& operator=(booster&&) noexcept;
  ~booster();

  // UBJSON bytes of the model, stable for the same model.
  [[nodiscard]] std::string save() const;

  // Class probabilities for one row: size classes() (binary models give [1-p, p]).
  [[nodiscard]] std::vector<float> predict(std::span<const std::uint32_t> cols, std::span<const float> vals) const;
  // Probabilities for many rows, row-major rows() x classes().
  [[nodiscard]] std::vector<float> predict(const sparse_rows& rows) const;

  // Per-feature contributions to each class's margin for one row: classes() blocks
  // of (columns() + 1) values, the last of each block being the bias. `approximate`
  // uses Saabas' method (fast, for the daemon); exact is TreeSHAP (for `explain`).
  [[nodiscard]] std::vector<float> contributions(std::span<const std::uint32_t> cols, std::span<const float> vals,
                                                 bool approximate) const;

  [[nodiscard]] std::size_t columns() const { return columns_; }
  [[nodiscard]] std::size_t classes() const { return classes_; }
  [[nodiscard]] int rounds() const;
  // The XGBoost handle, for read-only C API calls (dumps) by this component.
  [[nodiscard]] void* handle() const { return handle_; }

 private:
  void configure();
  const float* predict_csr(const std::uint64_t* indptr, std::size_t rows, const std::uint32_t* indices,
                           const float* values, std::size_t nnz) const;
  void* handle_ = nullptr;
  std::size_t columns_ = 0;
  std::size_t classes_ = 2;
  bool binary_ = true;
};

}  // namespace mailtriage::model
