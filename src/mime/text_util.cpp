#include "text_util.hpp"

#include <array>
#include <bit>

namespace mailtriage::mime::detail {
namespace {

// Per byte, whether append_collapsed treats it as blank (HT, LF, VT, FF, CR, space).
constexpr auto blank_byte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = is_space(static_cast<char>(c)) || c == '\f' || c == '\v';
  return t;
}();

// High bit of each byte of `w` that is blank, exact (no carry crosses bytes: each sum
// is at most 0x7F + 0x77).
std::uint64_t blank_bytes(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  const std::uint64_t low = w & ~high;
  const std::uint64_t at_least_ht = low + ones * (0x80 - '\t');
  const std::uint64_t past_cr = low + ones * (0x80 - '\r' - 1);
  return (at_least_ht & ~past_cr & ~w & high) | bytes_equal(w, ' ');
}

}  // namespace

void append_collapsed(std::string& out, std::string_view s) {
  bool space = out.empty() || is_space(out.back());
  // The collapsed text is never longer than `s`: write it in place, then cut to size.
  // Output never runs ahead of input, so an 8-byte store at d stays inside the buffer.
  const std::size_t old_size = out.size();
  out.resize(old_size + s.size());
  char* const begin = out.data();
  char* d = begin + old_size;
  constexpr bool by_words = std::endian::native == std::endian::little;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t end = s.size();
    if (by_words && i + 8 <= s.size()) {
      // A word without blanks, or with single ones (not after a blank) that each become
      // one space, is copied whole; any other word goes byte by byte.
      const std::uint64_t w = load_u64(s.data() + i);
      const std::uint64_t m = blank_bytes(w);
      if ((m & (m << 8)) == 0 && !(space && (m & 0x80))) {
        const std::uint64_t blanks = (m >> 7) * 0xFF;
        const std::uint64_t spaced = (w & ~blanks) | (0x2020202020202020ULL & blanks);
        std::memcpy(d, &spaced, 8);
        d += 8;
        space = (m >> 63) != 0;
        i += 8;
        continue;
      }
      if (m == 0x8080808080808080ULL) {  // all blank: indentation between tags
        *d = ' ';
        d += !space;
        space = true;
        i += 8;
        continue;
      }
      end = i + 8;
    }
    for (; i < end; ++i) {
      const char c = s[i];
      const bool b = blank_byte[static_cast<unsigned char>(c)];
      *d = b ? ' ' : c;
      d += !(b && space);  // a blank after a blank (or at the start) is dropped
      space = b;
    }
  }
  out.resize(static_cast<std::size_t>(d - begin));
}

}  // namespace mailtriage::mime::detail
