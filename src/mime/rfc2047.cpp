#include "rfc2047.hpp"

#include "charset.hpp"
#include "text_util.hpp"
#include "transfer.hpp"

namespace mailtriage::mime::detail {
namespace {

// Longer than RFC 2047's 75 characters, since real mailers exceed it.
constexpr std::size_t max_word_text = 4096;

struct encoded_word {
  std::string_view charset;
  char encoding = 0;
  std::string_view text;
  std::size_t end = 0;  // offset just past "?="
};

// True when `s` holds a space, tab, CR or LF; eight bytes at a time (encoded-word texts
// run to 60 characters and more, and every word is checked).
bool has_space(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    const std::uint64_t w = load_u64(s.data() + i);
    if (bytes_equal(w, ' ') | bytes_equal(w, '\t') | bytes_equal(w, '\r') | bytes_equal(w, '\n')) return true;
  }
  for (; i < s.size(); ++i)
    if (is_space(s[i])) return true;
  return false;
}

// Parses an encoded-word starting at value[pos] == '='; false when it is not one.
bool parse_word(std::string_view value, std::size_t pos, encoded_word& w) {
  if (pos + 1 >= value.size() || value[pos + 1] != '?') return false;
  std::size_t cs_begin = pos + 2;
  // Windows bound the work per candidate, so hostile values stay linear overall.
  std::size_t q1 = value.substr(cs_begin, 65).find('?');
  if (q1 == std::string_view::npos || q1 == 0) return false;
  q1 += cs_begin;
  if (q1 + 2 >= value.size() || value[q1 + 2] != '?') return false;
  char enc = ascii_lower(value[q1 + 1]);
  if (enc != 'b' && enc != 'q') return false;
  std::size_t text_begin = q1 + 3;
  std::size_t close = value.substr(text_begin, max_word_text).find("?=");
  if (close == std::string_view::npos) return false;
  close += text_begin;
  std::string_view text = value.substr(text_begin, close - text_begin);
  if (has_space(text)) return false;  // encoded-words contain no whitespace
  for (char c : value.substr(cs_begin, q1 - cs_begin))
    if (is_space(c) || c == '=') return false;
  w = {value.substr(cs_begin, q1 - cs_begin), enc, text, close + 2};
  return true;
}

// Plain header text: raw 8-bit bytes are taken as UTF-8 when valid, else windows-1252.
void append_plain(std::string& out, std::string_view text) {
  if (!has_eight_bit(text)) {
    out.append(text);
    return;
  }
  out.append(to_utf8(text, "").text);
}

}  // namespace

std::string decode_header_text(std::string_view value, defect_set& defects) {
  std::string out;
  out.reserve(value.size());
  std::string pending;                // decoded bytes of adjacent words in one charset
  std::string_view pending_charset;   // as written (any case), RFC 2231 language cut off
  auto flush = [&] {
    if (pending_charset.empty() && pending.empty()) return;
    conversion c = to_utf8(pending, to_lower(pending_charset));
    if (c.bad) defects.set(defect::bad_charset);
    out.append(c.text);
    pending.clear();
    pending_charset = {};
  };
  std::size_t plain_begin = 0;  // start of text not yet copied
  std::size_t pos = value.find("=?");
  bool last_was_word = false;
  while (pos != std::string_view::npos) {
    encoded_word w;
    if (!parse_word(value, pos, w)) {
      pos = value.find("=?", pos + 2);
      continue;
    }
    std::string_view gap = value.substr(plain_begin, pos - plain_begin);
    bool gap_is_space = trim(gap).empty();
    // Compared case-insensitively and lower-cased once per run of words, at the flush.
    std::string_view cs = w.charset.substr(0, w.charset.find('*'));
    if (!(last_was_word && gap_is_space)) {
      flush();
      append_plain(out, gap);
    } else if (!iequals(cs, pending_charset)) {
      flush();
    }
    decoded d;
    if (w.encoding == 'b') {
      d = decode_base64(w.text, std::string::npos);  // bounded by the word's own length
      if (d.bad) defects.set(defect::bad_encoded_word);
    } else {
      d = decode_q(w.text);
      if (d.bad) defects.set(defect::bad_encoded_word);
    }
    pending_charset = cs;
    pending.append(d.bytes);
    last_was_word = true;
    plain_begin = w.end;
    pos = value.find("=?", w.end);
  }
  flush();
  append_plain(out, value.substr(plain_begin));
  return out;
}

}  // namespace mailtriage::mime::detail
