#pragma once
// Small string helpers shared by the mime sources (private). Pure functions, thread-safe.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mailtriage/util/ascii.hpp"

namespace mailtriage::mime::detail {

using util::ascii_lower;
using util::iequals;
using util::istarts_with;
using util::to_lower;
[[nodiscard]] constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
[[nodiscard]] constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

[[nodiscard]] inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}
// Value of a hexadecimal digit, or -1.
[[nodiscard]] inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Eight bytes from `p` as one word, for scans eight bytes at a time.
[[nodiscard]] inline std::uint64_t load_u64(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Length of the leading run of ASCII bytes: it runs over whole decoded bodies and header
// sections, which are nearly always ASCII, so 32 bytes are tested per step, then 8, then 1.
[[nodiscard]] inline std::size_t ascii_prefix_length(std::string_view s) {
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  const char* p = s.data();
  std::size_t i = 0;
  while (i + 32 <= s.size() &&
         !((load_u64(p + i) | load_u64(p + i + 8) | load_u64(p + i + 16) | load_u64(p + i + 24)) & high))
    i += 32;
  while (i + 8 <= s.size() && !(load_u64(p + i) & high)) i += 8;
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}
[[nodiscard]] inline bool has_eight_bit(std::string_view s) { return ascii_prefix_length(s) < s.size(); }

// High bit of each byte of `w` that equals `c`, for scans eight bytes at a time (exact:
// no carry or borrow crosses bytes).
[[nodiscard]] inline std::uint64_t bytes_equal(std::uint64_t w, unsigned char c) {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  const std::uint64_t t = w ^ (0x0101010101010101ULL * c);
  return ~(((t & low7) + low7) | t) & ~low7;
}

// Appends `s` to `out` with runs of whitespace collapsed to one space; leading space is
// dropped when `out` is empty or already ends in whitespace.
void append_collapsed(std::string& out, std::string_view s);

}  // namespace mailtriage::mime::detail
