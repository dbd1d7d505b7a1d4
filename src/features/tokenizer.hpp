#pragma once
// Word tokenizer for subject and visible text (private). Tokens are normalised so that
// they carry content, not identities or dates: ASCII letters lower-cased; e-mail
// addresses -> "<email>", URLs -> "<url>", host names -> "<host>", numbers -> "<num1>" ..
// "<num5+>" by digit count, long mixed / hex / base64-like strings -> "<id>".
// Stateless apart from the caller-owned text_stats; pure and thread-safe.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailtriage::features::detail {

struct text_stats {
  std::uint32_t words = 0;
  std::uint32_t caps_words = 0;    // all-caps words of 3+ ASCII letters
  std::uint32_t exclamations = 0;
  std::uint32_t currency = 0;      // $ € £ ¥
  std::uint32_t emails = 0;
  std::uint32_t urls = 0;
};

// Longest ASCII word kept as itself; longer ones are base64 runs or glued identifiers.
inline constexpr std::size_t max_plain_word = 24;

// Calls sink(std::string_view token) for every token of `text`, stopping once `budget`
// reaches zero (each token decrements it). Accumulates counts into `stats`. A token's
// view stays valid until the sink has returned for the next token (or tokenize returns).
template <typename Sink>
void tokenize(std::string_view text, std::uint32_t& budget, text_stats& stats, Sink&& sink);

// Normalises one word (no spaces); returns an empty view when it yields no token. The
// result is a class literal, `word` itself when it has nothing to lower-case, or a
// lower-cased copy in `scratch` (valid until the next call with the same scratch).
std::string_view normalise_word(std::string_view word, std::string& scratch, text_stats& stats);
// normalise_word's last rules (length classes, all-caps count, lower-casing), for a word
// already known to be neither a number, a host nor an id/code, given its byte counts:
// the tokenizer calls it directly for words of ASCII letters only.
std::string_view normalise_plain_word(std::string_view word, std::size_t upper, std::size_t lowerc,
                                      std::size_t digits, std::size_t nonascii, std::string& scratch,
                                      text_stats& stats);

}  // namespace mailtriage::features::detail

#include "tokenizer_impl.hpp"
