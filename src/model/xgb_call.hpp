#pragma once
// Private: turns an XGBoost C API return code into a model_error with XGBoost's text,
// and builds the JSON array-interface strings its CSR functions take.
#include <xgboost/c_api.h>

#include <cstdint>
#include <string>
#include <utility>

#include "mailtriage/model/booster.hpp"

namespace mailtriage::model::detail {

inline void xgb_check(int rc, const char* what) {
  if (rc != 0) throw model_error(std::string(what) + ": " + XGBGetLastError());
}

// __array_interface__ (version 3) for a host array; `typestr` like "<u8", "<u4", "<f4".
inline std::string array_interface(const void* data, std::size_t length, const char* typestr) {
  return "{\"data\":[" + std::to_string(reinterpret_cast<std::uintptr_t>(data)) + ",true],\"shape\":[" +
         std::to_string(length) + "],\"typestr\":\"" + typestr + "\",\"version\":3}";
}

// A DMatrix owned for the scope of one call.
class dmatrix {
 public:
  dmatrix(const std::uint64_t* indptr, std::size_t rows, const std::uint32_t* indices, const float* values,
          std::size_t nnz, std::size_t columns);
  ~dmatrix();
  dmatrix(const dmatrix&) = delete;
  dmatrix& operator=(const dmatrix&) = delete;
  dmatrix(dmatrix&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  dmatrix& operator=(dmatrix&&) = delete;
  DMatrixHandle get() const { return h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

}  // namespace mailtriage::model::detail
