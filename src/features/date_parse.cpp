#include "date_parse.hpp"
#include "mailtriage/features/date.hpp"

#include <array>

#include "domains.hpp"

namespace mailtriage::features::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct cursor {
  std::string_view s;
  std::size_t i = 0;
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == '\r' || s[i] == '\n')) ++i;
  }
  bool number(int max_digits, int& out) {
    skip_ws();
    int n = 0, v = 0;
    while (i < s.size() && is_digit(s[i]) && n < max_digits) {
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    out = v;
    return n > 0;
  }
  std::string_view word() {
    skip_ws();
    std::size_t b = i;
    while (i < s.size() && is_alpha(s[i])) ++i;
    return s.substr(b, i - b);
  }
};

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};

}  // namespace

std::optional<std::int64_t> parse_rfc5322_date(std::string_view s) {
  cursor c{trim(s)};
  c.skip_ws();
  // Optional day of week.
  if (c.i < c.s.size() && is_alpha(c.s[c.i])) {
    std::size_t save = c.i;
    std::string_view w = c.word();
    bool month = false;
    for (auto m : kMonths) month = month || (w.size() >= 3 && iequals(w.substr(0, 3), m));
    if (month) c.i = save;  // "Oct 1 2002" style: handled below
  }
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  unsigned mon = 0;
  auto read_month = [&]() {
    std::string_view w = c.word();
    if (w.size() < 3) return false;
    for (unsigned k = 0; k < 12; ++k)
      if (iequals(w.substr(0, 3), kMonths[k])) {
        mon = k + 1;
        return true;
      }
    return false;
  };
  c.skip_ws();
  if (c.i < c.s.size() && is_digit(c.s[c.i])) {
    if (!c.number(2, day)) return std::nullopt;
    if (c.i < c.s.size() && (c.s[c.i] == '-' || c.s[c.i] == ' ')) ++c.i;
    if (!read_month()) return std::nullopt;
    if (c.i < c.s.size() && c.s[c.i] == '-') ++c.i;
  } else {
    if (!read_month()) return std::nullopt;
    if (!c.number(2, day)) return std::nullopt;
  }
  std::size_t before_year = c.i;
  c.skip_ws();
  std::size_t ystart = c.i;
  if (!c.number(4, year)) return std::nullopt;
  if (c.i < c.s.size() && c.s[c.i] == ':') {  // time came before the year (asctime style)
    c.i = before_year;
    year = -1;
  } else {
    std::size_t ylen = c.i - ystart;
    if (ylen == 2) year += year < 50 ? 2000 : 1900;
    else if (ylen == 3) year += 1900;
  }
  if (!c.number(2, hh)) return std::nullopt;
  if (c.i >= c.s.size() || c.s[c.i] != ':') return std::nullopt;
  ++c.i;
  if (!c.number(2, mm)) return std::nullopt;
  if (c.i < c.s.size() && c.s[c.i] == ':') {
    ++c.i;
    if (!c.number(2, ss)) return std::nullopt;
  }
  c.skip_ws();
  int offset_min = 0;
  if (c.i < c.s.size() && (c.s[c.i] == '+' || c.s[c.i] == '-')) {
    int sign = c.s[c.i] == '-' ? -1 : 1;
    ++c.i;
    int z = 0;
    std::size_t zs = c.i;
    if (!c.number(4, z) || c.i - zs != 4) return std::nullopt;
    offset_min = sign * ((z / 100) * 60 + z % 100);
  } else if (c.i < c.s.size() && is_alpha(c.s[c.i])) {
    std::string_view z = c.word();
    struct zone { std::string_view name; int minutes; };
    constexpr std::array<zone, 11> kZones = {{{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EST", -300},
                                              {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
                                              {"MDT", -360}, {"PST", -480}}};
    for (const auto& zz : kZones)
      if (iequals(z, zz.name)) offset_min = zz.minutes;
    if (iequals(z, "PDT")) offset_min = -420;
  }
  if (year < 0) {  // asctime: year after the time
    if (!c.number(4, year)) return std::nullopt;
  }
  if (mon < 1 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1900 || year > 9999)
    return std::nullopt;
  std::int64_t days = days_from_civil(year, mon, static_cast<unsigned>(day));
  return days * 86400 + hh * 3600 + mm * 60 + ss - static_cast<std::int64_t>(offset_min) * 60;
}

}  // namespace mailtriage::features::detail

namespace mailtriage::features {

std::optional<std::int64_t> parse_date(std::string_view s) { return detail::parse_rfc5322_date(s); }

}  // namespace mailtriage::features
