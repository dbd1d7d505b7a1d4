#include "tokenizer.hpp"

#include "domains.hpp"

namespace mailtriage::features::detail {

bool normalise_word(std::string_view w, std::string& out, text_stats& stats) {
  out.clear();
  std::size_t digits = 0, upper = 0, lowerc = 0, other = 0, nonascii = 0, dots = 0;
  for (char ch : w) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= '0' && c <= '9') ++digits;
    else if (c >= 'A' && c <= 'Z') ++upper;
    else if (c >= 'a' && c <= 'z') ++lowerc;
    else if (c >= 0x80) ++nonascii;
    else {
      ++other;
      if (c == '.') ++dots;
    }
  }
  if (digits > 0 && upper + lowerc + nonascii == 0) {  // a number: 12, 3.50, 2002-10-01
    std::size_t run = 0, longest = 0;  // shape of the longest digit group
    for (char ch : w) {
      run = (ch >= '0' && ch <= '9') ? run + 1 : 0;
      longest = run > longest ? run : longest;
    }
    digits = longest;
    if (digits >= 5) out = "<num5+>";
    else {
      out = "<num";
      out += static_cast<char>('0' + digits);
      out += '>';
    }
    return true;
  }
  if (dots > 0 && nonascii == 0 && looks_like_domain(w)) {
    out = "<host>";
    return true;
  }
  std::size_t letters = upper + lowerc;
  if (digits > 0 && (w.size() >= 12 || digits * 2 >= w.size())) {  // ids, codes, serials
    out = w.size() >= 8 ? "<id>" : "<code>";
    return true;
  }
  if (w.size() > 24 && nonascii == 0) {  // base64 runs and glued identifiers
    out = "<id>";
    return true;
  }
  if (w.size() > 64) return false;  // overlong non-ASCII runs carry no useful word
  if (upper >= 3 && lowerc == 0 && digits == 0 && nonascii == 0) ++stats.caps_words;
  (void)letters;
  out.assign(w);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return true;
}

}  // namespace mailtriage::features::detail
