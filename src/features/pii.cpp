#include "pii.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <string>

namespace mailtriage::features::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z'); }

// Bytes that can start an IBAN (upper-case letter) or a digit run (digit, '+', '(').
struct pii_start_table {
  bool v[256];
  constexpr pii_start_table() : v{} {
    for (int c = 0; c < 256; ++c)
      v[c] = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '(';
  }
};
constexpr pii_start_table kPiiStart{};

// Index of the first byte at or after `i` that kPiiStart admits, or t.size(). Most text is
// lower-case words and spaces, which can start nothing: with SSE2 (every x86-64) sixteen
// bytes are tested at once, elsewhere one at a time.
std::size_t next_start(std::string_view t, std::size_t i) {
  const char* p = t.data();
  const std::size_t n = t.size();
#if defined(__SSE2__)
  // Signed compares: bytes from 0x80 on are negative, below every range, so never admitted.
  const __m128i before_A = _mm_set1_epi8('A' - 1), after_Z = _mm_set1_epi8('Z' + 1);
  const __m128i before_0 = _mm_set1_epi8('0' - 1), after_9 = _mm_set1_epi8('9' + 1);
  const __m128i plus = _mm_set1_epi8('+'), paren = _mm_set1_epi8('(');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, before_A), _mm_cmplt_epi8(x, after_Z));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, before_0), _mm_cmplt_epi8(x, after_9));
    const __m128i sign = _mm_or_si128(_mm_cmpeq_epi8(x, plus), _mm_cmpeq_epi8(x, paren));
    const auto hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(upper, digit), sign)));
    if (hits != 0) return i + static_cast<std::size_t>(std::countr_zero(hits));
  }
#endif
  while (i < n && !kPiiStart.v[static_cast<unsigned char>(p[i])]) ++i;
  return i;
}

struct iban_country {
  char code[3];
  std::uint8_t length;
};
// IBAN registry lengths (SWIFT), sorted by country code.
constexpr std::array<iban_country, 78> kIban = {{
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27},
    {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15},
    {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
    {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
}};

int iban_length(std::string_view cc) {
  auto it = std::lower_bound(kIban.begin(), kIban.end(), cc,
                             [](const iban_country& c, std::string_view k) { return std::string_view(c.code, 2) < k; });
  if (it == kIban.end() || std::string_view(it->code, 2) != cc) return 0;
  return it->length;
}

void bump(std::uint32_t& v) {
  if (v < 1000) ++v;
}

// A run of digits with single separators between groups, optionally led by '+' or '('.
struct digit_run {
  std::string digits;
  std::array<std::uint8_t, 8> groups{};
  int group_count = 0;
  bool dash = false, space = false, dot = false, paren = false, plus = false;
  bool overflow = false;
};

std::size_t read_run(std::string_view t, std::size_t i, digit_run& r) {
  r = digit_run{};
  if (t[i] == '+') { r.plus = true; ++i; }
  else if (t[i] == '(') { r.paren = true; ++i; }
  int group_len = 0;
  while (i < t.size()) {
    char c = t[i];
    if (is_digit(c)) {
      if (r.digits.size() < 24) r.digits += c;
      else r.overflow = true;
      ++group_len;
      ++i;
      continue;
    }
    bool sep = c == '-' || c == ' ' || c == '.' || c == ')' || c == '(';
    if (!sep || i + 1 >= t.size()) break;
    // Allow ") " and " (" pairs in phone numbers, otherwise one separator then a digit.
    std::size_t k = i + 1;
    if ((c == ')' && t[k] == ' ') || (c == ' ' && t[k] == '(')) ++k;
    if (k >= t.size() || !is_digit(t[k])) break;
    if (r.group_count < 8) r.groups[static_cast<std::size_t>(r.group_count)] = static_cast<std::uint8_t>(std::min(group_len, 255));
    ++r.group_count;
    group_len = 0;
    if (c == '-') r.dash = true;
    else if (c == ' ') r.space = true;
    else if (c == '.') r.dot = true;
    else r.paren = true;
    i = k;
  }
  if (r.group_count < 8) r.groups[static_cast<std::size_t>(r.group_count)] = static_cast<std::uint8_t>(std::min(group_len, 255));
  ++r.group_count;
  return i;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

void classify_run(const digit_run& r, pii_counts& counts) {
  const std::size_t n = r.digits.size();
  if (r.overflow) return;
  // US SSN: exactly NNN-NN-NNNN.
  if (r.group_count == 3 && r.groups[0] == 3 && r.groups[1] == 2 && r.groups[2] == 4 && r.dash && !r.space &&
      !r.dot && !r.paren && !r.plus) {
    if (ssn_valid(to_int(std::string_view(r.digits).substr(0, 3)), to_int(std::string_view(r.digits).substr(3, 2)),
                  to_int(std::string_view(r.digits).substr(5, 4))))
      bump(counts.ssns);
    return;
  }
  // Payment card: 13-19 digits, spaces or dashes only, issuer prefix 2-6.
  if (n >= 13 && n <= 19 && !r.dot && !r.paren && !r.plus && r.digits[0] >= '2' && r.digits[0] <= '6') {
    if (luhn_valid(r.digits)) {
      bump(counts.cards);
      return;
    }
    bump(counts.card_candidates_invalid);
    return;
  }
  // Phone: 7-15 digits with separators or a leading '+', no dots-only date shapes.
  bool separated = r.plus || r.paren || r.dash || r.space;
  if (n >= 7 && n <= 15 && separated && r.group_count >= 2 && !(r.dot && !r.dash && !r.space && !r.plus)) {
    if (n >= 10 || r.plus || (r.group_count == 2 && r.groups[0] == 3 && r.groups[1] == 4)) bump(counts.phones);
  }
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

bool iban_valid(std::string_view iban) {
  if (iban.size() < 15 || iban.size() > 34) return false;
  if (!is_upper(iban[0]) || !is_upper(iban[1]) || !is_digit(iban[2]) || !is_digit(iban[3])) return false;
  if (static_cast<std::size_t>(iban_length(iban.substr(0, 2))) != iban.size()) return false;
  int rem = 0;
  auto feed = [&rem](char c) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (is_upper(c)) {
      int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    }
  };
  for (std::size_t i = 4; i < iban.size(); ++i) {
    if (!is_digit(iban[i]) && !is_upper(iban[i])) return false;
    feed(iban[i]);
  }
  for (std::size_t i = 0; i < 4; ++i) feed(iban[i]);
  return rem == 1;
}

bool ssn_valid(int area, int group, int serial) {
  if (area == 0 || area == 666 || area >= 900) return false;
  if (group == 0 || serial == 0) return false;
  return true;
}

void scan_pii(std::string_view t, pii_counts& counts) {
  digit_run run;
  std::string iban;
  std::size_t i = 0;
  while (i < t.size()) {
    i = next_start(t, i);
    if (i >= t.size()) break;
    char c = t[i];
    bool boundary = i == 0 || !is_alnum(t[i - 1]);
    // IBAN: CCdd followed by alphanumerics, optionally in space-separated groups.
    if (boundary && is_upper(c) && i + 3 < t.size() && is_upper(t[i + 1]) && is_digit(t[i + 2]) && is_digit(t[i + 3])) {
      int want = iban_length(t.substr(i, 2));
      if (want > 0) {
        iban.clear();
        std::size_t k = i;
        while (k < t.size() && iban.size() < static_cast<std::size_t>(want)) {
          if (is_digit(t[k]) || is_upper(t[k])) iban += t[k++];
          else if (t[k] == ' ' && k + 1 < t.size() && is_alnum(t[k + 1])) ++k;
          else break;
        }
        if (iban.size() == static_cast<std::size_t>(want) && (k >= t.size() || !is_alnum(t[k]))) {
          // An IBAN-shaped string is consumed whether or not its check digits hold, so
          // that its digit groups are not read again as a card or phone number.
          if (iban_valid(iban)) bump(counts.ibans);
          i = k;
          continue;
        }
      }
    }
    if (boundary && (is_digit(c) || ((c == '+' || c == '(') && i + 1 < t.size() && is_digit(t[i + 1])))) {
      std::size_t end = read_run(t, i, run);
      bool right_ok = end >= t.size() || !is_alnum(t[end]);
      if (right_ok) classify_run(run, counts);
      i = std::max(end, i + 1);
      continue;
    }
    ++i;
  }
}

}  // namespace mailtriage::features::detail
