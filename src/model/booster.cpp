#include "mailtriage/model/booster.hpp"

#include <cmath>
#include <utility>

#include "xgb_call.hpp"

namespace mailtriage::model {

using detail::array_interface;
using detail::xgb_check;

namespace {

// Scores are taken as they are: no missing-value sentinel other than NaN (absent).
constexpr const char* kPredictConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":true,"cache_id":0,"missing":NaN})";

}  // namespace

namespace detail {

dmatrix::dmatrix(const std::uint64_t* indptr, std::size_t rows, const std::uint32_t* indices, const float* values,
                 std::size_t nnz, std::size_t columns) {
  std::string ip = array_interface(indptr, rows + 1, "<u8");
  std::string ix = array_interface(indices, nnz, "<u4");
  std::string vx = array_interface(values, nnz, "<f4");
  xgb_check(XGDMatrixCreateFromCSR(ip.c_str(), ix.c_str(), vx.c_str(), columns, R"({"missing":NaN,"nthread":1})",
                                   &h_),
            "creating a matrix");
}

dmatrix::~dmatrix() {
  if (h_) XGDMatrixFree(h_);
}

}  // namespace detail

void sparse_rows::add_row(std::span<const std::uint32_t> cols, std::span<const float> vals) {
  indices.insert(indices.end(), cols.begin(), cols.end());
  values.insert(values.end(), vals.begin(), vals.end());
  indptr.push_back(indices.size());
}

sparse_rows sparse_rows::select(std::span<const std::size_t> which) const {
  sparse_rows out;
  out.columns = columns;
  for (std::size_t r : which) {
    auto b = static_cast<std::ptrdiff_t>(indptr[r]);
    auto e = static_cast<std::ptrdiff_t>(indptr[r + 1]);
    out.indices.insert(out.indices.end(), indices.begin() + b, indices.begin() + e);
    out.values.insert(out.values.end(), values.begin() + b, values.begin() + e);
    out.indptr.push_back(out.indices.size());
  }
  return out;
}

sparse_rows sparse_rows::without_columns(const std::vector<bool>& keep) const {
  sparse_rows out;
  out.columns = columns;
  out.indptr.reserve(indptr.size());
  out.indices.reserve(indices.size());
  out.values.reserve(values.size());
  for (std::size_t r = 0; r < rows(); ++r) {
    for (auto i = indptr[r]; i < indptr[r + 1]; ++i) {
      std::uint32_t c = indices[i];
      if (c < keep.size() && !keep[c]) continue;
      out.indices.push_back(c);
      out.values.push_back(values[i]);
    }
    out.indptr.push_back(out.indices.size());
  }
  return out;
}

std::vector<std::uint32_t> document_frequency(const sparse_rows& rows) {
  std::vector<std::uint32_t> df(rows.columns, 0);
  for (std::uint32_t c : rows.indices) ++df[c];  // columns are unique within a row
  return df;
}

booster::booster(void* handle, std::size_t columns) : handle_(handle), columns_(columns) { configure(); }

booster booster::from_bytes(std::string_view bytes, std::size_t columns) {
  BoosterHandle h = nullptr;
  xgb_check(XGBoosterCreate(nullptr, 0, &h), "creating a booster");
  if (XGBoosterLoadModelFromBuffer(h, bytes.data(), bytes.size()) != 0) {
    std::string why = XGBGetLastError();
    XGBoosterFree(h);
    throw model_error("cannot load the model: " + why);
  }
  return booster(h, columns);
}

booster::booster(booster&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)), columns_(o.columns_), classes_(o.classes_), binary_(o.binary_) {}

booster& booster::operator=(booster&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
    columns_ = o.columns_;
    classes_ = o.classes_;
    binary_ = o.binary_;
  }
  return *this;
}

booster::~booster() {
  if (handle_) XGBoosterFree(handle_);
}

void booster::configure() {
  // Prediction runs one thread per call: the daemon parallelises across messages.
  xgb_check(XGBoosterSetParam(handle_, "nthread", "1"), "setting nthread");
  // One prediction now configures the learner, so later concurrent calls only read it;
  // it also tells us how many classes the model outputs.
  std::uint32_t col = 0;
  float val = std::nanf("");
  std::uint64_t indptr[2] = {0, 0};
  std::string ip = array_interface(indptr, 2, "<u8");
  std::string ix = array_interface(&col, 0, "<u4");
  std::string vx = array_interface(&val, 0, "<f4");
  bst_ulong const* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  xgb_check(XGBoosterPredictFromCSR(handle_, ip.c_str(), ix.c_str(), vx.c_str(), columns_, kPredictConfig, nullptr,
                                    &shape, &dim, &result),
            "configuring the model");
  std::size_t width = dim >= 2 ? static_cast<std::size_t>(shape[dim - 1]) : 1;
  binary_ = width == 1;
  classes_ = binary_ ? 2 : width;
}

int booster::rounds() const {
  int n = 0;
  xgb_check(XGBoosterBoostedRounds(handle_, &n), "reading the number of rounds");
  return n;
}

std::string booster::save() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  xgb_check(XGBoosterSaveModelToBuffer(handle_, R"({"format":"ubj"})", &len, &data), "saving the model");
  return std::string(data, len);
}

// In-place prediction over CSR arrays; the result stays valid until this thread's
// next prediction with the booster (XGBoost keeps it per thread).
const float* booster::predict_csr(const std::uint64_t* indptr, std::size_t rows, const std::uint32_t* indices,
                                  const float* values, std::size_t nnz) const {
  std::string ip = array_interface(indptr, rows + 1, "<u8");
  std::string ix = array_interface(indices, nnz, "<u4");
  std::string vx = array_interface(values, nnz, "<f4");
  bst_ulong const* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  xgb_check(XGBoosterPredictFromCSR(handle_, ip.c_str(), ix.c_str(), vx.c_str(), columns_, kPredictConfig, nullptr,
                                    &shape, &dim, &result),
            "predicting");
  return result;
}

std::vector<float> booster::predict(std::span<const std::uint32_t> cols, std::span<const float> vals) const {
  std::uint64_t indptr[2] = {0, cols.size()};
  const float* result = predict_csr(indptr, 1, cols.data(), vals.data(), cols.size());
  if (binary_) return {1.0f - result[0], result[0]};
  return std::vector<float>(result, result + classes_);
}

std::vector<float> booster::predict(const sparse_rows& rows) const {
  std::vector<float> out;
  if (rows.rows() == 0) return out;
  const float* result =
      predict_csr(rows.indptr.data(), rows.rows(), rows.indices.data(), rows.values.data(), rows.indices.size());
  out.reserve(rows.rows() * classes_);
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    if (binary_) {
      out.push_back(1.0f - result[r]);
      out.push_back(result[r]);
    } else {
      out.insert(out.end(), result + r * classes_, result + (r + 1) * classes_);
    }
  }
  return out;
}

std::vector<float> booster::contributions(std::span<const std::uint32_t> cols, std::span<const float> vals,
                                          bool approximate) const {
  std::uint64_t indptr[2] = {0, cols.size()};
  detail::dmatrix m(indptr, 1, cols.data(), vals.data(), cols.size(), columns_);
  std::string config = std::string(R"({"type":)") + (approximate ? "3" : "2") +
                       R"(,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":true})";
  bst_ulong const* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  xgb_check(XGBoosterPredictFromDMatrix(handle_, m.get(), config.c_str(), &shape, &dim, &result),
            "computing contributions");
  std::size_t total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= static_cast<std::size_t>(shape[i]);
  std::vector<float> out(result, result + total);
  if (binary_) {
    // One block for the positive class; the negative class is its mirror.
    std::vector<float> both(out.size() * 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
      both[i] = -out[i];
      both[out.size() + i] = out[i];
    }
    return both;
  }
  return out;
}

}  // namespace mailtriage::model
