#pragma once
// Exact lookup of a name in a fixed set known at compile time (private): HTML tag names
// and character reference names. Pure, thread-safe.
//
// Why not a binary search: the HTML walker looks up every tag and end tag, and a binary
// search costs seven or eight memcmp calls per name. Here a name of up to 15 bytes is
// packed with its length into two words, hashed, and found in an open-addressing table
// built at compile time: a few word operations and (almost always) one comparison.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mailtriage::mime::detail {

template <std::size_t N, std::size_t Slots>
class name_index {
  static_assert((Slots & (Slots - 1)) == 0 && Slots >= 2 * N, "power of two, at most half full");
  static_assert(N < 0xFFFF);

 public:
  // Longer names are never in the set.
  static constexpr std::size_t max_name = 15;

  // `names` must be distinct and at most max_name bytes long (checked at compile time
  // when the index is constexpr: a violation is not a constant expression).
  constexpr explicit name_index(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
      if (names[i].size() > max_name) throw "name too long";
      const key k = pack(names[i]);
      std::size_t s = slot(k);
      std::size_t probes = 1;
      for (; slots_[s] != 0; s = (s + 1) & (Slots - 1), ++probes)
        if (keys_[slots_[s] - 1] == k) throw "duplicate name";
      slots_[s] = static_cast<std::uint16_t>(i + 1);
      keys_[i] = k;
      if (probes > max_probes_) max_probes_ = probes;
    }
  }

  // Position of `name` in the constructor's array, or -1.
  [[nodiscard]] constexpr int find(std::string_view name) const {
    if (name.size() > max_name) return -1;
    const key k = pack(name);
    for (std::size_t s = slot(k);; s = (s + 1) & (Slots - 1)) {
      const std::uint16_t e = slots_[s];
      if (e == 0) return -1;
      if (keys_[e - 1] == k) return e - 1;
    }
  }

  // Longest probe sequence of a name in the set (for a static_assert on hash quality).
  [[nodiscard]] constexpr std::size_t max_probes() const { return max_probes_; }

 private:
  struct key {
    std::uint64_t lo = 0;  // bytes 0-7
    std::uint64_t hi = 0;  // bytes 8-14, length in the top byte
    constexpr bool operator==(const key&) const = default;
  };

  static constexpr key pack(std::string_view s) {
    key k;
    const std::size_t n = s.size();
    if (std::is_constant_evaluated()) {
      for (std::size_t i = 0; i < n && i < 8; ++i) k.lo |= byte(s, i, i);
      for (std::size_t i = 8; i < n; ++i) k.hi |= byte(s, i, i - 8);
    } else if (n >= 8) {
      k.lo = little_endian(s.data(), 8);
      k.hi = little_endian(s.data() + 8, n - 8);
    } else {
      k.lo = little_endian(s.data(), n);
    }
    k.hi |= std::uint64_t{n} << 56;
    return k;
  }
  static constexpr std::uint64_t byte(std::string_view s, std::size_t i, std::size_t at) {
    return std::uint64_t{static_cast<unsigned char>(s[i])} << (8 * at);
  }
  // The n (< 16) bytes at p as a little-endian number, without a byte loop: two
  // overlapping loads cover any length from 4 to 8 (and three bytes any from 1 to 3);
  // the overlap puts the same bytes in the same places.
  static std::uint64_t little_endian(const char* p, std::size_t n) {
    const std::string_view s(p, n);
    if (n >= 8) {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < 8; ++i) v |= byte(s, i, i);
      return v;
    }
    if (n >= 4) {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < 4; ++i) v |= byte(s, i, i) | byte(s, n - 4 + i, n - 4 + i);
      return v;
    }
    if (n == 0) return 0;
    return byte(s, 0, 0) | byte(s, n / 2, n / 2) | byte(s, n - 1, n - 1);
  }
  static constexpr std::size_t slot(const key& k) {
    std::uint64_t h = (k.lo ^ (k.hi * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h >> 32) & (Slots - 1);
  }

  std::array<std::uint16_t, Slots> slots_{};  // index + 1 into keys_, 0 when empty
  std::array<key, N> keys_{};
  std::size_t max_probes_ = 0;
};

}  // namespace mailtriage::mime::detail
