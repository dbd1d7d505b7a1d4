#pragma once
// Accumulates one message's features (private). Owned by one extract() call, used by one
// thread, discarded after finish().
#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/features/dense_features.hpp"
#include "mailtriage/features/feature_vector.hpp"
#include "mailtriage/features/schema.hpp"

namespace mailtriage::features::detail {

// FNV-1a 64, streamed.
struct fnv1a64 {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void update(std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  }
  void update(char c) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
};

class vector_builder {
 public:
  explicit vector_builder(token_names* names) : names_(names) { hashed_.reserve(1024); }

  void set(dense d, float v) {
    auto i = static_cast<std::size_t>(d);
    dense_[i] = v;
    present_.set(i);
  }
  void set(dense d, bool v) { set(d, v ? 1.0f : 0.0f); }
  void set_count(dense d, std::size_t n) { set(d, static_cast<float>(n)); }

  // Token in namespace `ns` ("subj", "body", ...). `b` non-empty makes it a pair "a b".
  void token(std::string_view ns, std::string_view a, std::string_view b = {}) {
    fnv1a64 f;
    f.update(ns);
    f.update(':');
    f.update(a);
    if (!b.empty()) {
      f.update(' ');
      f.update(b);
    }
    std::uint32_t col = dense_count + static_cast<std::uint32_t>(f.h & (hash_buckets - 1));
    hashed_.push_back(col);
    if (names_ != nullptr) record(col, ns, a, b);
  }

  [[nodiscard]] feature_vector finish();

 private:
  void record(std::uint32_t col, std::string_view ns, std::string_view a, std::string_view b);

  std::array<float, dense_count> dense_{};
  std::bitset<dense_count> present_;
  std::vector<std::uint32_t> hashed_;
  token_names* names_;
};

}  // namespace mailtriage::features::detail
