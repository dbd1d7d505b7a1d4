#include "domains.hpp"

#include <algorithm>
#include <array>

namespace mailtriage::features::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Second-level labels that act as public suffixes under many country codes.
constexpr std::array<std::string_view, 22> kSecondLevel = {
    "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil",
    "nic", "ltd", "plc", "sch", "nhs", "police", "gen", "biz", "info", "nom"};

// Well-known shorteners and redirectors (sorted for binary search).
constexpr std::array<std::string_view, 30> kShorteners = {
    "bit.do", "bit.ly", "buff.ly", "cutt.ly", "goo.gl", "is.gd", "j.mp", "lnkd.in",
    "ow.ly", "qr.co", "rb.gy", "rebrand.ly", "s.id", "shorturl.at", "shorturl.com", "soo.gd",
    "t.co", "t.ly", "tiny.cc", "tinyurl.com", "tr.im", "trib.al", "u.to", "urlz.fr",
    "v.gd", "x.co", "y2u.be", "yourls.org", "zpr.io", "zws.im"};
static_assert(std::is_sorted(kShorteners.begin(), kShorteners.end()));

// Free-mail providers' registrable domains (sorted for binary search).
constexpr std::array<std::string_view, 75> kFreemail = {
    "126.com", "163.com", "aim.com", "aol.com", "att.net", "bigpond.com", "bk.ru", "btinternet.com",
    "charter.net", "comcast.net", "cox.net", "daum.net", "earthlink.net", "excite.com",
    "fastmail.com", "free.fr", "gmail.com", "gmx.com", "gmx.de", "gmx.net", "googlemail.com",
    "hanmail.net", "hotmail.co.uk", "hotmail.com", "hotmail.fr", "hushmail.com", "icloud.com",
    "inbox.ru", "interia.pl", "juno.com", "laposte.net", "libero.it", "list.ru", "live.com",
    "lycos.com", "mail.com", "mail.ru", "mailbox.org", "me.com", "msn.com", "naver.com",
    "netscape.net", "o2.pl", "onet.pl", "optonline.net", "orange.fr", "outlook.com", "posteo.de",
    "proton.me", "protonmail.com", "qq.com", "rambler.ru", "rediffmail.com", "rocketmail.com",
    "rogers.com", "sbcglobal.net", "seznam.cz", "shaw.ca", "sina.com", "sympatico.ca",
    "t-online.de", "tutanota.com", "usa.net", "verizon.net", "wanadoo.fr", "web.de", "wp.pl",
    "yahoo.co.jp", "yahoo.co.uk", "yahoo.com", "yahoo.fr", "yandex.com", "yandex.ru", "ymail.com",
    "zoho.com"};
static_assert(std::is_sorted(kFreemail.begin(), kFreemail.end()));

}  // namespace

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  const char first = util::ascii_lower(needle[0]);
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (util::ascii_lower(hay[i]) == first && iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_ipv4(std::string_view s) {
  int dots = 0, digits = 0, value = 0;
  for (char c : s) {
    if (is_digit(c)) {
      if (++digits > 3) return false;
      value = value * 10 + (c - '0');
      if (value > 255) return false;
    } else if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
      value = 0;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

bool is_ip_literal(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (istarts_with(host, "ipv6:")) return true;
  if (is_ipv4(host)) return true;
  if (host.find(':') == std::string_view::npos) return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; });
}

std::string registrable_domain(std::string_view host) {
  host = trim(host);
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return {};
  if (is_ip_literal(host)) return to_lower(host);
  std::size_t last = host.rfind('.');
  if (last == std::string_view::npos) return to_lower(host);
  std::size_t second = last == 0 ? std::string_view::npos : host.rfind('.', last - 1);
  if (second == std::string_view::npos) return to_lower(host);
  std::string_view tld = host.substr(last + 1);
  std::string_view sld = host.substr(second + 1, last - second - 1);
  bool multi = tld.size() == 2 && std::any_of(kSecondLevel.begin(), kSecondLevel.end(),
                                              [&](std::string_view s) { return iequals(s, sld); });
  if (!multi) return to_lower(host.substr(second + 1));
  std::size_t third = second == 0 ? std::string_view::npos : host.rfind('.', second - 1);
  return to_lower(third == std::string_view::npos ? host : host.substr(third + 1));
}

std::string address_domain(std::string_view addr) {
  std::size_t at = addr.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view d = trim(addr.substr(at + 1));
  while (!d.empty() && (d.back() == '>' || d.back() == '.')) d.remove_suffix(1);
  return to_lower(d);
}

std::vector<mailbox> parse_mailboxes(std::string_view value) {
  std::vector<mailbox> out;
  std::string display;
  std::string address;
  bool in_quote = false, in_angle = false, saw_angle = false;
  int comment = 0;
  auto flush = [&] {
    std::string_view d = trim(display);
    std::string_view a = trim(address);
    if (!saw_angle) {  // bare addr-spec: what we collected as display is the address
      a = d;
      d = {};
    }
    if (!a.empty() || !d.empty()) {
      if (out.size() < 100) out.push_back(mailbox{std::string(d), std::string(a)});
    }
    display.clear();
    address.clear();
    saw_angle = false;
  };
  // Runs of ordinary characters (the current one and those after it up to a character
  // that changes state) are appended whole; `i` then rests on the run's last character,
  // which the loop steps past.
  auto run_end = [&](std::size_t from, auto is_stop) {
    while (from < value.size() && !is_stop(value[from])) ++from;
    return from;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (in_quote) {
      if (c == '\\' && i + 1 < value.size()) display += value[++i];
      else if (c == '"') in_quote = false;
      else {
        std::size_t end = run_end(i + 1, [](char x) { return x == '\\' || x == '"'; });
        display.append(value.substr(i, end - i));
        i = end - 1;
      }
      continue;
    }
    if (comment > 0) {
      if (c == '(') ++comment;
      else if (c == ')') --comment;
      else if (!saw_angle) display += c;  // "addr (Name)" keeps the name text
      continue;
    }
    if (in_angle) {
      if (c == '>') {
        in_angle = false;
      } else {
        std::size_t end = run_end(i + 1, [](char x) { return x == '>'; });
        address.append(value.substr(i, end - i));
        i = end - 1;
      }
      continue;
    }
    switch (c) {
      case '"': in_quote = true; break;
      case '(': comment = 1; display += ' '; break;
      case '<': in_angle = true; saw_angle = true; break;
      case ',': case ';': flush(); break;
      case ':': display.clear(); break;  // group name
      default: {
        std::size_t end = run_end(i + 1, [](char x) {
          return x == '"' || x == '(' || x == '<' || x == ',' || x == ';' || x == ':';
        });
        display.append(value.substr(i, end - i));
        i = end - 1;
      }
    }
  }
  flush();
  // "addr (Name)" form: split a bare address from trailing comment text.
  for (auto& m : out) {
    if (!m.display.empty() || m.address.find(' ') == std::string::npos) continue;
    std::string_view a = m.address;
    std::size_t sp = a.find(' ');
    m.display = std::string(trim(a.substr(sp + 1)));
    m.address = std::string(a.substr(0, sp));
  }
  return out;
}

bool parse_url(std::string_view url, url_parts& out) {
  out = url_parts{};
  url = trim(url);
  std::size_t start = 0;
  std::size_t colon = url.find("://");
  if (colon != std::string_view::npos && colon > 0 && colon < 16) {
    out.scheme = to_lower(url.substr(0, colon));
    start = colon + 3;
  } else if (istarts_with(url, "www.")) {
    start = 0;
  } else if (istarts_with(url, "//")) {
    start = 2;
  } else {
    return false;
  }
  std::size_t end = url.find_first_of("/?#\\", start);
  std::string_view authority = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    out.userinfo = true;
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    std::size_t rb = host.find(']');
    std::string_view rest = rb == std::string_view::npos ? std::string_view{} : host.substr(rb + 1);
    host = host.substr(1, rb == std::string_view::npos ? std::string_view::npos : rb - 1);
    out.port = !rest.empty() && rest.front() == ':';
  } else {
    std::size_t pc = host.rfind(':');
    if (pc != std::string_view::npos) {
      out.port = true;
      host = host.substr(0, pc);
    }
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 255) return false;
  out.host = to_lower(host);
  return true;
}

bool is_shortener(std::string_view host) {
  if (istarts_with(host, "www.")) host.remove_prefix(4);
  return std::binary_search(kShorteners.begin(), kShorteners.end(), host);
}

bool is_mixed_script(std::string_view host) {
  bool ascii_alpha = false, non_ascii = false;
  for (char c : host) {
    if (c == '.') {
      if (ascii_alpha && non_ascii) return true;
      ascii_alpha = non_ascii = false;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      non_ascii = true;
    } else if (is_alpha(c)) {
      ascii_alpha = true;
    }
  }
  return ascii_alpha && non_ascii;
}

bool looks_like_domain(std::string_view w) {
  if (w.size() < 4 || w.size() > 253) return false;
  std::size_t last = w.rfind('.');
  if (last == std::string_view::npos || last == 0 || last + 1 >= w.size()) return false;
  std::string_view tld = w.substr(last + 1);
  if (tld.size() < 2 || tld.size() > 24) return false;
  if (!std::all_of(tld.begin(), tld.end(), is_alpha)) return false;
  char prev = '.';
  for (char c : w.substr(0, last)) {
    if (c == '.') {
      if (prev == '.' || prev == '-') return false;
    } else if (!(is_alpha(c) || is_digit(c) || c == '-')) {
      return false;
    }
    prev = c;
  }
  return prev != '.' && prev != '-';
}

bool is_freemail_registrable(std::string_view registrable) {
  return std::binary_search(kFreemail.begin(), kFreemail.end(), registrable);
}

}  // namespace mailtriage::features::detail

namespace mailtriage::features {

bool is_freemail(std::string_view domain) { return detail::is_freemail_registrable(detail::registrable_domain(domain)); }

}  // namespace mailtriage::features
