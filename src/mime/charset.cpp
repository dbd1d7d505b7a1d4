#include "charset.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {


constexpr std::string_view replacement = "\xEF\xBF\xBD";

// windows-1252 0x80..0x9F; undefined slots map to the C1 control of the same value.
constexpr std::array<char16_t, 32> cp1252_high = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string from_cp1252(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 2);
  for (char c : in) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) out.push_back(c);
    else if (b < 0xA0) append_utf8(out, windows1252_c1(b));
    else append_utf8(out, b);
  }
  return out;
}

// Charsets whose text may be pure ASCII bytes yet not mean ASCII.
bool ascii_unsafe(std::string_view cs) {
  return cs.starts_with("iso-2022") || cs.starts_with("utf-7") || cs.starts_with("utf-16") ||
         cs.starts_with("utf-32") || cs.starts_with("ucs") || cs.starts_with("hz") ||
         cs == "unicode-1-1-utf-7";
}

// Maps a lower-case MIME charset name to the iconv name to use, following the WHATWG
// encoding standard's practice of decoding with the common superset.
std::string_view iconv_name(std::string_view cs) {
  struct alias {
    std::string_view mime, iconv;
  };
  static constexpr alias aliases[] = {
      {"gb2312", "GB18030"},      {"gb_2312-80", "GB18030"},  {"gbk", "GB18030"},
      {"x-gbk", "GB18030"},       {"euc-cn", "GB18030"},      {"cp936", "GB18030"},
      {"shift_jis", "WINDOWS-31J"}, {"shift-jis", "WINDOWS-31J"}, {"sjis", "WINDOWS-31J"},
      {"x-sjis", "WINDOWS-31J"},  {"ms_kanji", "WINDOWS-31J"}, {"cp932", "WINDOWS-31J"},
      {"ks_c_5601-1987", "CP949"}, {"euc-kr", "CP949"},       {"big5", "CP950"},
      {"iso-8859-8-i", "ISO-8859-8"}, {"unicode-1-1-utf-7", "UTF-7"}, {"tis-620", "CP874"},
      {"iso-8859-11", "CP874"},   {"x-mac-roman", "MACINTOSH"}, {"macintosh", "MACINTOSH"},
  };
  for (const auto& a : aliases)
    if (a.mime == cs) return a.iconv;
  return cs;
}

// Per-thread cache of open converters, keyed by iconv charset name; a failed open is
// cached too (as invalid) so unknown names cost one iconv_open per thread.
class converter_cache {
 public:
  converter_cache() = default;
  converter_cache(const converter_cache&) = delete;
  converter_cache& operator=(const converter_cache&) = delete;
  ~converter_cache() {
    for (auto& e : entries_)
      if (e.second != invalid()) iconv_close(e.second);
  }
  iconv_t get(std::string_view name) {
    for (auto& e : entries_)
      if (e.first == name) return e.second;
    std::string n(name);
    iconv_t cd = iconv_open("UTF-8", n.c_str());
    if (entries_.size() >= 64) {  // hostile input naming many charsets: stay bounded
      if (cd != invalid()) iconv_close(cd);
      return invalid();
    }
    entries_.emplace_back(std::move(n), cd);
    return cd;
  }
  static iconv_t invalid() { return reinterpret_cast<iconv_t>(-1); }  // NOLINT: iconv's sentinel

 private:
  std::vector<std::pair<std::string, iconv_t>> entries_;
};

thread_local converter_cache cache;

conversion run_iconv(iconv_t cd, std::string_view in) {
  conversion result;
  std::string& out = result.text;
  out.resize(in.size() * 2 + 16);
  std::size_t used = 0;
  char* src = const_cast<char*>(in.data());  // iconv's signature; the input is not modified
  std::size_t src_left = in.size();
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  // One iconv call on the rest of the input (or, with flush, the shift-state reset).
  auto step = [&](bool flush) {
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    std::size_t rc = flush ? iconv(cd, nullptr, nullptr, &dst, &dst_left)
                           : iconv(cd, &src, &src_left, &dst, &dst_left);
    int err = rc == static_cast<std::size_t>(-1) ? errno : 0;
    used = static_cast<std::size_t>(dst - out.data());
    if (err == E2BIG) out.resize(out.size() * 2);
    return err;
  };
  auto put_replacement = [&] {
    result.bad = true;
    if (out.size() - used < replacement.size()) out.resize(out.size() * 2);
    std::memcpy(out.data() + used, replacement.data(), replacement.size());
    used += replacement.size();
  };
  while (src_left > 0) {
    int err = step(false);
    if (err == 0 || err == E2BIG) continue;
    put_replacement();
    if (err != EILSEQ) break;  // EINVAL: incomplete sequence at the end
    ++src;
    --src_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  for (int i = 0; i < 8 && step(true) == E2BIG; ++i) {
  }
  out.resize(used);
  return result;
}

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t windows1252_c1(std::uint32_t b) { return cp1252_high[b - 0x80]; }

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      p += ascii_prefix_length({reinterpret_cast<const char*>(p), static_cast<std::size_t>(end - p)});
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    if ((*p & 0xE0) == 0xC0) { len = 2; cp = *p & 0x1Fu; }
    else if ((*p & 0xF0) == 0xE0) { len = 3; cp = *p & 0x0Fu; }
    else if ((*p & 0xF8) == 0xF0) { len = 4; cp = *p & 0x07u; }
    else return false;
    if (end - p < len) return false;
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += len;
  }
  return true;
}

namespace {

// The declared charset, lower-case, without quotes or an RFC 2231 language.
std::string charset_key(std::string_view charset) {
  std::string cs = to_lower(trim(charset));
  if (!cs.empty() && (cs.front() == '"' || cs.front() == '\'')) cs.erase(0, 1);
  if (!cs.empty() && (cs.back() == '"' || cs.back() == '\'')) cs.pop_back();
  if (auto star = cs.find('*'); star != std::string::npos) cs.resize(star);  // RFC 2231 language
  return cs;
}

// True when `in`, declared as `cs`, is already UTF-8 and passes through unchanged.
// Declared UTF-8, undeclared, or a single-byte charset whose bytes happen to be valid
// UTF-8: mislabelled UTF-8 is far more common than such a coincidence.
bool passes_through(std::string_view in, std::string_view cs) {
  return !ascii_unsafe(cs) && (!has_eight_bit(in) || is_valid_utf8(in));
}

conversion convert(std::string_view in, const std::string& cs) {
  const bool generic = cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "utf-8" ||
                       cs == "utf8" || cs == "iso-8859-1" || cs == "latin1" ||
                       cs == "windows-1252" || cs == "cp1252" || cs == "x-unknown" ||
                       cs == "unknown-8bit" || cs == "default";
  if (generic) {
    const bool declared_single_byte =
        cs == "iso-8859-1" || cs == "latin1" || cs == "windows-1252" || cs == "cp1252";
    return {from_cp1252(in), !declared_single_byte};
  }
  iconv_t cd = cache.get(iconv_name(cs));
  if (cd == converter_cache::invalid()) return {from_cp1252(in), true};
  return run_iconv(cd, in);
}

}  // namespace

conversion to_utf8(std::string_view in, std::string_view charset) {
  std::string cs = charset_key(charset);
  if (passes_through(in, cs)) return {std::string(in), false};
  return convert(in, cs);
}

conversion to_utf8(std::string&& in, std::string_view charset) {
  std::string cs = charset_key(charset);
  if (passes_through(in, cs)) return {std::move(in), false};
  return convert(in, cs);
}

}  // namespace mailtriage::mime::detail
