#pragma once
// Charset conversion to UTF-8 with glibc iconv (private). Converters are cached per thread,
// so every function here is thread-safe and the cache dies with its thread.
#include <cstdint>
#include <string>
#include <string_view>

namespace mailtriage::mime::detail {

[[nodiscard]] bool is_valid_utf8(std::string_view s);

// Appends code point `cp` (at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, char32_t cp);
// What windows-1252 means by byte `b` in 0x80..0x9F (its undefined slots: the C1
// control of the same value). Also HTML's reading of numeric references in that range.
[[nodiscard]] char32_t windows1252_c1(std::uint32_t b);

struct conversion {
  std::string text;  // UTF-8
  bool bad = false;  // unknown charset, invalid sequences replaced, or fallback used
};

// Converts `in`, declared as `charset` ("" when undeclared), to UTF-8. Unknown or missing
// charsets fall back to UTF-8 when the bytes are valid UTF-8, else windows-1252. Invalid
// sequences become U+FFFD. Output is at most a small multiple of the input size.
[[nodiscard]] conversion to_utf8(std::string_view in, std::string_view charset);
// The same, taking over `in`'s buffer when the bytes are already UTF-8 (a decoded body),
// instead of copying them.
[[nodiscard]] conversion to_utf8(std::string&& in, std::string_view charset);

}  // namespace mailtriage::mime::detail
