#pragma once
// Accumulates one message's features (private). Owned by one extract() call, used by one
// thread, discarded after finish(). Borrows a thread_local bit set for de-duplicating hashed
// columns and clears it (only the words it set, found through summary_) in finish() or on
// destruction: one builder per thread at a time.
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
  static constexpr std::uint64_t basis = 0xcbf29ce484222325ULL;
  static constexpr std::uint64_t prime = 0x100000001b3ULL;
  std::uint64_t h = basis;
  constexpr void update(std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  }
  constexpr void update(char c) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
};

// FNV-1a state after "ns:", so that a token's hash continues from it.
[[nodiscard]] constexpr std::uint64_t fnv_prefix(std::string_view ns) {
  fnv1a64 f;
  f.update(ns);
  f.update(':');
  return f.h;
}

class vector_builder {
 public:
  // `names`/`only`: see extract_with_pii.
  vector_builder(token_names* names, const column_set* only);
  ~vector_builder();
  vector_builder(const vector_builder&) = delete;
  vector_builder& operator=(const vector_builder&) = delete;

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
    add_hash(f.h, ns, a, b);
  }

  // A token whose FNV-1a 64 over "ns:a" (or "ns:a b") the caller computed already.
  // Inlined: it runs for every word and pair of the text, and a call cost more than its body.
  [[gnu::always_inline]] void add_hash(std::uint64_t h, std::string_view ns, std::string_view a,
                                       std::string_view b = {}) {
    const auto bucket = static_cast<std::uint32_t>(h & (hash_buckets - 1));
    std::uint64_t& word = seen_[bucket >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (bucket & 63);
    if ((word & bit) == 0) {
      word |= bit;
      summary_[bucket >> 12] |= std::uint64_t{1} << ((bucket >> 6) & 63);
      ++hashed_;
    }
    // The column filter is tested here so that tokens outside it cost no call.
    if (names_ != nullptr) {
      const std::uint32_t col = dense_count + bucket;
      if (only_ == nullptr || only_->contains(col)) names_->add(col, ns, a, b);
    }
  }

  [[nodiscard]] feature_vector finish();

 private:
  std::array<float, dense_count> dense_{};
  std::bitset<dense_count> present_;
  std::size_t hashed_ = 0;  // unique hashed columns
  std::uint64_t* seen_;     // this thread's hash_buckets-bit set, all clear between uses
  std::array<std::uint64_t, hash_buckets / 64 / 64> summary_{};  // bit w: seen_[w] is non-zero
  token_names* names_;
  const column_set* only_;
};

}  // namespace mailtriage::features::detail
