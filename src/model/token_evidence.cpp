#include "mailtriage/model/token_evidence.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mailtriage/model/booster.hpp"

namespace mailtriage::model {
namespace {

// Sparse on disk: most hash buckets never see a token.
constexpr char kMagic[8] = {'M', 'T', 'T', 'E', 'V', '0', '0', '2'};

sparse_rows rebuild(const sparse_rows& rows, const std::vector<std::vector<float>>& extra, std::uint32_t base) {
  sparse_rows out;
  out.columns = base + (extra.empty() ? 0 : extra[0].size());
  std::vector<std::uint32_t> cols;
  std::vector<float> vals;
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    cols.assign(rows.indices.begin() + static_cast<std::ptrdiff_t>(rows.indptr[r]),
                rows.indices.begin() + static_cast<std::ptrdiff_t>(rows.indptr[r + 1]));
    vals.assign(rows.values.begin() + static_cast<std::ptrdiff_t>(rows.indptr[r]),
                rows.values.begin() + static_cast<std::ptrdiff_t>(rows.indptr[r + 1]));
    for (std::size_t k = 0; k < extra[r].size(); ++k) {
      cols.push_back(base + static_cast<std::uint32_t>(k));
      vals.push_back(extra[r][k]);
    }
    out.add_row(cols, vals);
  }
  return out;
}

}  // namespace

token_evidence token_evidence::fit(const sparse_rows& rows, std::span<const int> labels, std::size_t classes,
                                   std::uint32_t first, std::uint32_t count) {
  token_evidence e;
  e.classes_ = classes;
  e.first_ = first;
  e.count_ = count;
  std::vector<double> docs(classes, 0);
  std::vector<std::uint32_t> seen(static_cast<std::size_t>(count) * classes, 0);
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    auto c = static_cast<std::size_t>(labels[r]);
    docs[c] += 1;
    for (auto i = rows.indptr[r]; i < rows.indptr[r + 1]; ++i) {
      std::uint32_t col = rows.indices[i];
      if (col >= first && col - first < count) seen[static_cast<std::size_t>(col - first) * classes + c]++;
    }
  }
  double total_docs = 0;
  for (double d : docs) total_docs += d;
  e.weights_.assign(static_cast<std::size_t>(count) * classes, 0.0f);
  constexpr double alpha = 1.0;
  for (std::size_t t = 0; t < count; ++t) {
    double all = 0;
    for (std::size_t c = 0; c < classes; ++c) all += seen[t * classes + c];
    // Tokens seen in fewer than two messages say more about that message than about
    // its label: no evidence either way (and the table stays small).
    if (all < 2) continue;
    for (std::size_t c = 0; c < classes; ++c) {
      double in = seen[t * classes + c], out = all - in;
      double p_in = (in + alpha) / (docs[c] + 2 * alpha);
      double p_out = (out + alpha) / (total_docs - docs[c] + 2 * alpha);
      e.weights_[t * classes + c] = static_cast<float>(std::log(p_in / p_out));
    }
  }
  return e;
}

std::vector<float> token_evidence::evaluate(std::span<const std::uint32_t> cols) const {
  std::vector<float> sum(classes_, 0.0f);
  const float* weights = weights_.data();
  // Each class's sum adds the same weights in the same (column) order whichever loop
  // runs: the two-label one keeps its sums in registers (the general one reloads them
  // after every add, as `sum` could alias the weights for all the compiler knows).
  if (classes_ == 2) {
    float s0 = 0.0f, s1 = 0.0f;
    for (std::uint32_t col : cols) {
      const std::uint32_t t = col - first_;  // wraps past count_ for col < first_
      if (t >= count_) continue;
      const float* w = weights + std::size_t{t} * 2;
      s0 += w[0];
      s1 += w[1];
    }
    sum[0] = s0;
    sum[1] = s1;
    return sum;
  }
  for (std::uint32_t col : cols) {
    if (col < first_ || col - first_ >= count_) continue;
    const float* w = weights + static_cast<std::size_t>(col - first_) * classes_;
    for (std::size_t c = 0; c < classes_; ++c) sum[c] += w[c];
  }
  return sum;
}

void token_evidence::append(std::vector<std::uint32_t>& cols, std::vector<float>& vals, std::uint32_t base) const {
  auto sum = evaluate(cols);
  for (std::size_t c = 0; c < classes_; ++c) {
    cols.push_back(base + static_cast<std::uint32_t>(c));
    vals.push_back(sum[c]);
  }
}

std::string token_evidence::serialize() const {
  std::string out(kMagic, sizeof kMagic);
  auto put = [&out](std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  std::uint32_t used = 0;
  for (std::size_t t = 0; t < count_; ++t)
    for (std::size_t c = 0; c < classes_; ++c)
      if (weights_[t * classes_ + c] != 0.0f) {
        ++used;
        break;
      }
  put(static_cast<std::uint32_t>(classes_));
  put(first_);
  put(count_);
  put(used);
  for (std::uint32_t t = 0; t < count_; ++t) {
    const float* w = weights_.data() + static_cast<std::size_t>(t) * classes_;
    if (std::all_of(w, w + classes_, [](float x) { return x == 0.0f; })) continue;
    put(t);
    out.append(reinterpret_cast<const char*>(w), classes_ * sizeof(float));
  }
  return out;
}

token_evidence token_evidence::deserialize(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw model_error("token evidence: not a mailtriage token evidence file");
  token_evidence e;
  std::uint32_t head[4];
  std::memcpy(head, bytes.data() + sizeof kMagic, sizeof head);
  e.classes_ = head[0];
  e.first_ = head[1];
  e.count_ = head[2];
  const std::size_t used = head[3];
  const std::size_t entry = sizeof(std::uint32_t) + e.classes_ * sizeof(float);
  if (e.classes_ < 2 || e.classes_ > 1000 || e.count_ > (1u << 24) || used > e.count_ ||
      bytes.size() != sizeof kMagic + sizeof head + used * entry)
    throw model_error("token evidence: size does not match its header");
  e.weights_.assign(static_cast<std::size_t>(e.count_) * e.classes_, 0.0f);
  const char* p = bytes.data() + sizeof kMagic + sizeof head;
  for (std::size_t i = 0; i < used; ++i, p += entry) {
    std::uint32_t t;
    std::memcpy(&t, p, sizeof t);
    if (t >= e.count_) throw model_error("token evidence: bucket out of range");
    std::memcpy(e.weights_.data() + static_cast<std::size_t>(t) * e.classes_, p + sizeof t, e.classes_ * sizeof(float));
  }
  return e;
}

token_evidence stack_out_of_fold(sparse_rows& rows, std::span<const int> labels, std::size_t classes,
                                 std::uint32_t first, std::uint32_t count, std::uint32_t base, std::size_t folds) {
  std::vector<std::vector<float>> extra(rows.rows());
  for (std::size_t f = 0; f < folds; ++f) {
    std::vector<std::size_t> in_fold, rest;
    for (std::size_t r = 0; r < rows.rows(); ++r) (r % folds == f ? in_fold : rest).push_back(r);
    std::vector<int> rest_labels;
    for (auto r : rest) rest_labels.push_back(labels[r]);
    auto e = token_evidence::fit(rows.select(rest), rest_labels, classes, first, count);
    for (auto r : in_fold) {
      std::span<const std::uint32_t> cols(rows.indices.data() + rows.indptr[r], rows.indptr[r + 1] - rows.indptr[r]);
      extra[r] = e.evaluate(cols);
    }
  }
  auto full = token_evidence::fit(rows, labels, classes, first, count);
  rows = rebuild(rows, extra, base);
  return full;
}

void stack(sparse_rows& rows, const token_evidence& evidence, std::uint32_t base) {
  std::vector<std::vector<float>> extra(rows.rows());
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    std::span<const std::uint32_t> cols(rows.indices.data() + rows.indptr[r], rows.indptr[r + 1] - rows.indptr[r]);
    extra[r] = evidence.evaluate(cols);
  }
  rows = rebuild(rows, extra, base);
}

}  // namespace mailtriage::model
