#include "tokenizer.hpp"

#include "domains.hpp"

namespace mailtriage::features::detail {

namespace {

// Which of normalise_word's counters a byte goes to (other bytes are counted nowhere).
enum : unsigned char { kDigit, kUpper, kLower, kNonAscii, kDot, kOther };
struct word_byte_table {
  unsigned char v[256];
  constexpr word_byte_table() : v{} {
    for (int c = 0; c < 256; ++c)
      v[c] = c >= '0' && c <= '9'   ? kDigit
             : c >= 'A' && c <= 'Z' ? kUpper
             : c >= 'a' && c <= 'z' ? kLower
             : c >= 0x80            ? kNonAscii
             : c == '.'             ? kDot
                                    : kOther;
  }
};
constexpr word_byte_table kWordBytes{};

}  // namespace

std::string_view normalise_word(std::string_view w, std::string& scratch, text_stats& stats) {
  std::size_t count[kOther + 1] = {};  // one increment per byte, no compare chain
  for (char ch : w) ++count[kWordBytes.v[static_cast<unsigned char>(ch)]];
  std::size_t digits = count[kDigit];
  const std::size_t upper = count[kUpper], lowerc = count[kLower], nonascii = count[kNonAscii], dots = count[kDot];
  if (digits > 0 && upper + lowerc + nonascii == 0) {  // a number: 12, 3.50, 2002-10-01
    std::size_t run = 0, longest = 0;  // shape of the longest digit group
    for (char ch : w) {
      run = (ch >= '0' && ch <= '9') ? run + 1 : 0;
      longest = run > longest ? run : longest;
    }
    digits = longest;
    static constexpr std::string_view kNum[] = {"<num0>", "<num1>", "<num2>", "<num3>", "<num4>"};
    return digits >= 5 ? std::string_view("<num5+>") : kNum[digits];
  }
  if (dots > 0 && nonascii == 0 && looks_like_domain(w)) return "<host>";
  if (digits > 0 && (w.size() >= 12 || digits * 2 >= w.size())) {  // ids, codes, serials
    return w.size() >= 8 ? "<id>" : "<code>";
  }
  return normalise_plain_word(w, upper, lowerc, digits, nonascii, scratch, stats);
}

std::string_view normalise_plain_word(std::string_view w, std::size_t upper, std::size_t lowerc, std::size_t digits,
                                      std::size_t nonascii, std::string& scratch, text_stats& stats) {
  if (w.size() > max_plain_word && nonascii == 0) return "<id>";
  if (w.size() > 64) return {};  // overlong non-ASCII runs carry no useful word
  if (upper >= 3 && lowerc == 0 && digits == 0 && nonascii == 0) ++stats.caps_words;
  if (upper == 0) return w;  // already lower-case: no copy
  scratch.assign(w);
  for (char& c : scratch)  // branch-free: capitals sit anywhere in a word
    c = static_cast<char>(c + 32 * (static_cast<unsigned char>(c - 'A') < 26));
  return scratch;
}

}  // namespace mailtriage::features::detail
