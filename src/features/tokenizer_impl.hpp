#pragma once
// Template part of tokenizer.hpp (private).
#include <bit>
#include <cstring>
#include <string>

namespace mailtriage::features::detail {

// Byte classes of the tokenizer's loops: one table load per byte instead of a chain of
// compares.
enum byte_class : unsigned char {
  kSep = 1,   // ASCII separator: ends a chunk
  kWord = 2,  // letter, digit or non-ASCII byte
  kJoin = 4,  // '.', '-', '\'' and '_': inside a word when a word byte follows
  kMark = 8,  // '@', ':' and non-ASCII bytes: the chunk scan looks closer
};
struct byte_class_table {
  unsigned char v[256];
  constexpr byte_class_table() : v{} {
    for (int c = 0; c < 256; ++c) {
      const bool word = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      // Kept inside chunks (URLs, addresses), separators otherwise.
      const bool keep = c == '@' || c == '.' || c == '-' || c == '_' || c == '\'' || c == '/' || c == ':' ||
                        c == '%' || c == '+' || c == '=' || c == '&' || c == '?' || c == '#' || c == '~';
      v[c] = static_cast<unsigned char>((word || keep ? 0 : kSep) | (word ? kWord : 0) |
                                        (c == '.' || c == '-' || c == '\'' || c == '_' ? kJoin : 0) |
                                        (c == '@' || c == ':' || c >= 0x80 ? kMark : 0));
    }
  }
  [[nodiscard]] constexpr unsigned char operator[](char c) const { return v[static_cast<unsigned char>(c)]; }
};
inline constexpr byte_class_table kBytes{};

// Byte length of a separator starting at text[i] (ASCII punctuation/space, UTF-8 general
// punctuation E2 80 xx, NBSP and guillemets), or 0 for a byte that may be part of a chunk.
inline std::size_t separator_length(std::string_view text, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return kBytes.v[c] & kSep;  // '@' '.' '-' ... stay inside chunks (URLs, addresses)
  if (c == 0xE2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80)
    return i + 2 < text.size() ? 3 : 2;
  if (c == 0xC2 && i + 1 < text.size()) {
    unsigned char d = static_cast<unsigned char>(text[i + 1]);
    if (d == 0xA0 || d == 0xAB || d == 0xBB || d == 0xA9 || d == 0xAE || d == 0xB7) return 2;
  }
  return 0;
}

inline bool is_word_byte(char ch) { return (kBytes[ch] & kWord) != 0; }

inline bool is_ascii_letter(char ch) {
  return static_cast<unsigned char>((static_cast<unsigned char>(ch) | 0x20) - 'a') < 26;
}

// Length of the run of ASCII letters starting at text[i]; `upper` gets how many of them
// are capitals. Eight bytes at a time (prose is mostly such runs, and this is the
// tokenizer's innermost loop), then byte by byte for the last few.
inline std::size_t letter_run(std::string_view text, std::size_t i, std::size_t& upper) {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t k = i;
  upper = 0;
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
    // Bytes flagged in bit 7 of each lane -> how many (lanes hold 0 or 1 after the shift).
    auto count = [](std::uint64_t m) { return static_cast<std::size_t>((((m >> 7) * ones) >> 56)); };
    while (k + 8 <= n) {
      std::uint64_t x;
      std::memcpy(&x, p + k, 8);
      const std::uint64_t t = (x | ones * 0x20) & ~high;  // lower-cased, bit 7 dropped: no carries below
      // 'a' <= t <= 'z' and x ASCII: t + 0x1F reaches bit 7 from 'a' on, t + 0x05 past 'z'.
      const std::uint64_t letter = (t + ones * 0x1F) & ~(t + ones * 0x05) & ~x & high;
      const std::uint64_t caps = letter & ~(x << 2);  // bit 5 (0x20) clear: a capital
      const std::uint64_t stop = letter ^ high;
      if (stop != 0) {
        const auto len = static_cast<unsigned>(std::countr_zero(stop)) / 8;  // first non-letter
        upper += count(caps & ((std::uint64_t{1} << (len * 8)) - 1));
        return k + len - i;
      }
      upper += count(caps);
      k += 8;
    }
  }
  while (k < n && is_ascii_letter(p[k])) upper += p[k++] < 'a';
  return k - i;
}

template <typename Sink>
void tokenize(std::string_view text, std::uint32_t& budget, text_stats& stats, Sink&& sink) {
  // Two scratch buffers used in turn, so that a lower-cased token stays valid while the
  // sink handles the token after it (the caller pairs adjacent tokens without copying).
  std::string scratch[2];
  std::size_t turn = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n && budget > 0) {
    // Skip separators, counting '!' and currency signs (ASCII ones through the table,
    // multi-byte ones through separator_length).
    while (i < n) {
      const char c = text[i];
      if (kBytes[c] & kSep) {
        if (c == '!') ++stats.exclamations;
        else if (c == '$') ++stats.currency;
        ++i;
        continue;
      }
      const std::size_t sep = static_cast<unsigned char>(c) >= 0x80 ? separator_length(text, i) : 0;
      if (sep == 0) break;
      i += sep;
    }
    std::size_t start = i;
    {
      // Fast path for the bulk of prose: a chunk of ASCII letters ended by a separator (or
      // the end), or by one kept punctuation byte and then a separator ("end." "to:"),
      // holds no URL, address or currency and is a single word, so it goes straight to
      // normalise_word's rules for such words; any other chunk is scanned below from its
      // start.
      std::size_t upper;
      const std::size_t len = letter_run(text, i, upper);
      const std::size_t k = i + len;
      auto ends_chunk = [&](std::size_t at) { return at == n || separator_length(text, at) > 0; };
      std::size_t end = std::string_view::npos;  // the chunk's end, when it is such a word
      if (len > 0) {
        if (ends_chunk(k)) end = k;
        else if ((kBytes[text[k]] & kWord) == 0 && ends_chunk(k + 1)) end = k + 1;  // ASCII, kept
      }
      if (end != std::string_view::npos) {
        i = end;
        const std::string_view w = text.substr(start, len);
        // A short lower-case word is its own token (normalise_plain_word's answer, without
        // the call).
        if (std::string_view t = upper == 0 && len <= max_plain_word
                                     ? w
                                     : normalise_plain_word(w, upper, len - upper, 0, 0, scratch[turn & 1], stats);
            !t.empty()) {
          ++stats.words;
          --budget;
          sink(t);
          ++turn;
        }
        continue;
      }
    }
    std::size_t at = std::string_view::npos, scheme = std::string_view::npos;
    for (; i < n; ++i) {
      const char c = text[i];
      const unsigned char cls = kBytes[c];
      if ((cls & (kSep | kMark)) == 0) continue;
      if (cls & kSep) break;
      if (c == '@') {
        if (at == std::string_view::npos) at = i - start;
      } else if (c == ':') {
        if (scheme == std::string_view::npos && i + 2 < n && text[i + 1] == '/' && text[i + 2] == '/') scheme = i - start;
      } else {  // non-ASCII
        if (separator_length(text, i) > 0) break;
        if (i > start) {
          // Currency in UTF-8: € (E2 82 AC), £ (C2 A3), ¥ (C2 A5) stay inside chunks; counted
          // here, at a pair's second byte, so that the chunk is read once.
          const auto a = static_cast<unsigned char>(text[i - 1]);
          const auto b = static_cast<unsigned char>(c);
          if ((a == 0xC2 && (b == 0xA3 || b == 0xA5)) || (a == 0xE2 && b == 0x82)) ++stats.currency;
        }
      }
    }
    if (i == start) continue;
    std::string_view chunk = text.substr(start, i - start);
    // Whole-chunk classes: URLs and addresses.
    if ((scheme != std::string_view::npos && scheme > 0 && scheme < 12) ||
        (chunk.size() > 4 && (chunk[0] == 'w' || chunk[0] == 'W') && (chunk.substr(0, 4) == "www." || chunk.substr(0, 4) == "WWW."))) {
      ++stats.urls;
      ++stats.words;
      --budget;
      sink(std::string_view("<url>"));
      continue;
    }
    if (at != std::string_view::npos && at > 0 && at + 1 < chunk.size() && is_word_byte(chunk[at - 1]) &&
        is_word_byte(chunk[at + 1])) {
      ++stats.emails;
      ++stats.words;
      --budget;
      sink(std::string_view("<email>"));
      continue;
    }
    // Split the chunk into words at the punctuation kept above.
    std::size_t j = 0;
    while (j < chunk.size() && budget > 0) {
      while (j < chunk.size() && !is_word_byte(chunk[j])) ++j;
      std::size_t ws = j;
      // A word may hold '.', '-', '\'' and '_' between word bytes (domains, e-mail, don't).
      while (j < chunk.size()) {
        const unsigned char cls = kBytes[chunk[j]];
        if ((cls & kWord) || ((cls & kJoin) && j + 1 < chunk.size() && is_word_byte(chunk[j + 1]))) {
          ++j;
          continue;
        }
        break;
      }
      if (j == ws) break;
      if (std::string_view t = normalise_word(chunk.substr(ws, j - ws), scratch[turn & 1], stats); !t.empty()) {
        ++stats.words;
        --budget;
        sink(t);
        ++turn;
      }
    }
  }
}

}  // namespace mailtriage::features::detail
