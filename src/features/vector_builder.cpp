#include "vector_builder.hpp"

#include <algorithm>

namespace mailtriage::features::detail {
namespace {

std::uint64_t* thread_bitset() {
  thread_local std::vector<std::uint64_t> bits(hash_buckets / 64, 0);
  return bits.data();
}

}  // namespace

vector_builder::vector_builder(token_names* names, const column_set* only)
    : seen_(thread_bitset()), names_(names), only_(only) {
  hashed_.reserve(1024);
}

vector_builder::~vector_builder() {
  for (std::uint32_t c : hashed_) {
    std::uint32_t bucket = c - dense_count;
    seen_[bucket >> 6] &= ~(std::uint64_t{1} << (bucket & 63));
  }
}

feature_vector vector_builder::finish() {
  // Columns in increasing order straight from the bit set (cheaper than sorting hashed_).
  std::vector<std::uint32_t> cols;
  cols.reserve(hashed_.size());
  for (std::uint32_t sw = 0; sw < summary_.size(); ++sw) {
    std::uint64_t words = summary_[sw];
    while (words != 0) {
      std::uint32_t w = sw * 64 + static_cast<std::uint32_t>(__builtin_ctzll(words));
      words &= words - 1;
      std::uint64_t bits = seen_[w];
      while (bits != 0) {
        cols.push_back(dense_count + w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits)));
        bits &= bits - 1;
      }
    }
  }
  feature_vector out;
  out.indices.reserve(present_.count() + hashed_.size());
  out.values.reserve(present_.count() + hashed_.size());
  for (std::size_t i = 0; i < dense_count; ++i) {
    if (!present_.test(i)) continue;
    out.indices.push_back(static_cast<std::uint32_t>(i));
    out.values.push_back(dense_[i]);
  }
  for (std::uint32_t c : cols) {
    out.indices.push_back(c);
    out.values.push_back(1.0f);
  }
  return out;
}

}  // namespace mailtriage::features::detail
