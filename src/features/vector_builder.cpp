#include "vector_builder.hpp"

namespace mailtriage::features::detail {
namespace {

std::uint64_t* thread_bitset() {
  thread_local std::vector<std::uint64_t> bits(hash_buckets / 64, 0);
  return bits.data();
}

}  // namespace

vector_builder::vector_builder(token_names* names, const column_set* only)
    : seen_(thread_bitset()), names_(names), only_(only) {}

vector_builder::~vector_builder() {
  // Nothing left to clear after finish(); otherwise (an exception) the words set so far.
  for (std::uint32_t sw = 0; sw < summary_.size(); ++sw) {
    for (std::uint64_t words = summary_[sw]; words != 0; words &= words - 1)
      seen_[sw * 64 + static_cast<std::uint32_t>(__builtin_ctzll(words))] = 0;
  }
}

feature_vector vector_builder::finish() {
  // Dense columns first, then the hashed ones in increasing order straight from the bit
  // set (cheaper than sorting), clearing its words for the next builder on this thread.
  const std::size_t dense = present_.count();
  feature_vector out;
  out.indices.resize(dense + hashed_);
  out.values.assign(dense + hashed_, 1.0f);
  std::uint32_t* index = out.indices.data();
  float* value = out.values.data();
  for (std::size_t i = 0; i < dense_count; ++i) {
    if (!present_.test(i)) continue;
    *index++ = static_cast<std::uint32_t>(i);
    *value++ = dense_[i];
  }
  for (std::uint32_t sw = 0; sw < summary_.size(); ++sw) {
    for (std::uint64_t words = summary_[sw]; words != 0; words &= words - 1) {
      const std::uint32_t w = sw * 64 + static_cast<std::uint32_t>(__builtin_ctzll(words));
      for (std::uint64_t bits = seen_[w]; bits != 0; bits &= bits - 1)
        *index++ = dense_count + w * 64 + static_cast<std::uint32_t>(__builtin_ctzll(bits));
      seen_[w] = 0;
    }
    summary_[sw] = 0;
  }
  hashed_ = 0;
  return out;
}

}  // namespace mailtriage::features::detail
