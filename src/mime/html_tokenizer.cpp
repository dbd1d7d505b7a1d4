#include "html_tokenizer.hpp"

#include <array>

#include "charset.hpp"
#include "html_entities.hpp"
#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
// Whitespace between attributes (the spec's tab, LF, FF, space; CR too, as preprocessing
// would have made it LF).
constexpr bool is_tag_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Byte classes for the scans through a tag: one table load per byte instead of up to
// six comparisons.
enum : std::uint8_t {
  ends_name = 1,        // a tag name: tag space, '/', '>'
  ends_attr_name = 2,   // an attribute name: tag space, '/', '>', '='
  ends_unquoted = 4,    // an unquoted attribute value: tag space, '>'
  needs_lowering = 8,   // A-Z, and NUL (U+FFFD): a name with one is copied, lower-cased
};
constexpr auto byte_class = [] {
  std::array<std::uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    const bool space = is_tag_space(c);
    if (space || c == '/' || c == '>') t[i] |= ends_name;
    if (space || c == '/' || c == '>' || c == '=') t[i] |= ends_attr_name;
    if (space || c == '>') t[i] |= ends_unquoted;
    if ((c >= 'A' && c <= 'Z') || c == '\0') t[i] |= needs_lowering;
  }
  return t;
}();
std::uint8_t class_of(char c) { return byte_class[static_cast<unsigned char>(c)]; }

// Position of the first of the bytes `Cs` in s at or after `from`, or s.size(). Eight
// bytes at a time: text and attribute values are long runs without any of them.
template <char... Cs>
std::size_t find_any(std::string_view s, std::size_t from) {
  const std::size_t n = s.size();
  std::size_t i = from;
  while (i + 8 <= n && !(bytes_equal(load_u64(s.data() + i), static_cast<unsigned char>(Cs)) | ...)) i += 8;
  for (; i < n; ++i)
    if (((s[i] == Cs) || ...)) return i;
  return n;
}

// The spec's numeric character reference fix-ups: NUL, surrogates and values past
// Unicode become U+FFFD; 0x80-0x9F are read as windows-1252, as every browser does.
char32_t numeric_reference_value(std::uint32_t v) {
  if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
  if (v >= 0x80 && v <= 0x9F) return windows1252_c1(v);
  return v;
}

// Raw-text elements: their contents end only at the matching end tag. `escapable`
// (RCDATA) ones still decode character references.
struct raw_element {
  std::string_view name;
  bool escapable;
};
constexpr raw_element raw_elements[] = {{"script", false},  {"style", false},   {"xmp", false},
                                        {"iframe", false},  {"noembed", false}, {"noframes", false},
                                        {"title", true},    {"textarea", true}};

}  // namespace

std::size_t decode_character_reference(std::string_view s, std::size_t pos, bool in_attribute, std::string& out) {
  const std::size_t n = s.size();
  std::size_t p = pos + 1;
  if (p < n && s[p] == '#') {
    ++p;
    const bool hex = p < n && (s[p] == 'x' || s[p] == 'X');
    if (hex) ++p;
    const std::size_t digits = p;
    std::uint32_t v = 0;
    for (; p < n && (hex ? hex_value(s[p]) >= 0 : is_digit(s[p])); ++p) {
      v = v * (hex ? 16 : 10) + static_cast<std::uint32_t>(hex_value(s[p]));
      if (v > 0x10FFFF) v = 0x110000;  // saturate: stays "too large" without overflowing
    }
    if (p == digits) {  // "&#" or "&#x" without digits is text
      out.push_back('&');
      return pos + 1;
    }
    if (p < n && s[p] == ';') ++p;
    append_utf8(out, numeric_reference_value(v));
    return p;
  }
  std::size_t end = p;
  while (end < n && is_alnum(s[end])) ++end;
  const std::string_view run = s.substr(p, end - p);
  if (!run.empty()) {
    if (end < n && s[end] == ';') {
      if (const html_entity* e = find_html_entity(run)) {
        append_utf8(out, e->code_point);
        return end + 1;
      }
    }
    if (const html_entity* e = find_legacy_entity_prefix(run)) {
      const std::size_t after = p + e->name.size();
      const bool literal = in_attribute && after < n && (s[after] == '=' || is_alnum(s[after]));
      if (!literal) {
        append_utf8(out, e->code_point);
        return after;
      }
    }
  }
  out.push_back('&');
  return pos + 1;
}

bool html_tokenizer::starts_markup(std::size_t p) const {
  // in_[p] == '<'
  if (p + 1 >= in_.size()) return false;
  const char c = in_[p + 1];
  if (is_alpha(c) || c == '!' || c == '?') return true;
  return c == '/' && p + 2 < in_.size();  // "</x", "</>" and "</ junk>" are all markup
}

std::string_view html_tokenizer::view(const piece& p) const {
  return p.in_arena ? std::string_view(arena_).substr(p.offset, p.size) : in_.substr(p.offset, p.size);
}

html_tokenizer::piece html_tokenizer::lower_name(std::size_t begin, std::size_t end, bool needs_copy) {
  if (!needs_copy) return {false, begin, end - begin};
  const std::size_t off = arena_.size();
  for (std::size_t i = begin; i < end; ++i) {
    if (in_[i] == '\0')
      arena_ += "\xEF\xBF\xBD";
    else
      arena_.push_back(ascii_lower(in_[i]));
  }
  return {true, off, arena_.size() - off};
}

html_tokenizer::piece html_tokenizer::attribute_value(std::size_t begin, std::size_t end) {
  const std::string_view v = in_.substr(begin, end - begin);
  std::size_t i = find_any<'&', '\0'>(v, 0);
  if (i == v.size()) return {false, begin, end - begin};
  const std::size_t off = arena_.size();
  arena_.append(v.substr(0, i));
  while (i < v.size()) {
    if (v[i] == '&') {
      i = decode_character_reference(v, i, true, arena_);
    } else {
      arena_ += "\xEF\xBF\xBD";  // NUL
      ++i;
    }
    const std::size_t next = find_any<'&', '\0'>(v, i);
    arena_.append(v.substr(i, next - i));
    i = next;
  }
  return {true, off, arena_.size() - off};
}

std::size_t html_tokenizer::skip_to_gt(std::size_t p) const {
  const std::size_t gt = in_.find('>', p);
  return gt == std::string_view::npos ? in_.size() : gt + 1;
}

// A tag from in_[pos_] ('<' or "</" followed by a letter). Returns false when the input
// ends inside the tag: like a browser, an unfinished tag is dropped.
bool html_tokenizer::read_tag(bool end_tag) {
  const std::size_t n = in_.size();
  std::size_t p = pos_ + (end_tag ? 2 : 1);
  const std::size_t name_begin = p;
  std::uint8_t seen = 0;  // classes of the name's bytes
  for (std::uint8_t c; p < n && !((c = class_of(in_[p])) & ends_name); ++p) seen |= c;
  arena_.clear();
  pending_.clear();
  const piece name = lower_name(name_begin, p, seen & needs_lowering);
  bool self_closing = false;
  std::size_t attribute_count = 0;  // kept or filtered out
  for (;;) {
    while (p < n && is_tag_space(in_[p])) ++p;
    if (p >= n) {
      pos_ = n;
      return false;
    }
    if (in_[p] == '>') {
      ++p;
      break;
    }
    if (in_[p] == '/') {
      if (p + 1 < n && in_[p + 1] == '>') {
        self_closing = true;
        p += 2;
        break;
      }
      ++p;
      continue;
    }
    // Attribute name: the first character may be '=' (the spec keeps it in the name).
    const std::size_t attr_begin = p;
    seen = class_of(in_[p++]);
    for (std::uint8_t c; p < n && !((c = class_of(in_[p])) & ends_attr_name); ++p) seen |= c;
    const std::size_t attr_end = p;
    while (p < n && is_tag_space(in_[p])) ++p;
    std::size_t value_begin = p;
    std::size_t value_end = p;
    if (p < n && in_[p] == '=') {
      ++p;
      while (p < n && is_tag_space(in_[p])) ++p;
      if (p < n && (in_[p] == '"' || in_[p] == '\'')) {
        const std::size_t close = in_.find(in_[p], p + 1);
        if (close == std::string_view::npos) {
          pos_ = n;
          return false;
        }
        value_begin = p + 1;
        value_end = close;
        p = close + 1;
      } else {
        value_begin = p;
        while (p < n && !(class_of(in_[p]) & ends_unquoted)) ++p;
        value_end = p;
      }
    }
    if (!end_tag && attribute_count++ < max_attributes) {
      const piece attr_name = lower_name(attr_begin, attr_end, seen & needs_lowering);
      if (!wanted_ || wanted_(view(attr_name))) pending_.push_back({attr_name, attribute_value(value_begin, value_end)});
    }
  }
  pos_ = p;
  attributes_.clear();
  for (const auto& a : pending_) attributes_.push_back({view(a.name), view(a.value)});
  tok_.kind = end_tag ? html_token_kind::end_tag : html_token_kind::start_tag;
  tok_.name = view(name);
  tok_.text = {};
  tok_.raw = false;
  tok_.self_closing = self_closing;
  tok_.attributes = attributes_;
  // Names of raw-text elements and plaintext are 3 to 9 bytes long: most tags are
  // told apart by their length alone.
  if (!end_tag && tok_.name.size() >= 3 && tok_.name.size() <= 9) {
    if (tok_.name == "plaintext") plaintext_ = true;  // no end tag: the rest is text
    for (const auto& r : raw_elements) {
      if (tok_.name == r.name) {
        raw_end_ = r.name;
        raw_escapable_ = r.escapable;
      }
    }
  }
  return true;
}

html_tokenizer::markup html_tokenizer::read_markup() {
  const std::size_t n = in_.size();
  const char c = in_[pos_ + 1];
  if (is_alpha(c)) return read_tag(false) ? markup::token : markup::skipped;
  if (c == '/') {
    if (is_alpha(in_[pos_ + 2])) return read_tag(true) ? markup::token : markup::skipped;
    pos_ = in_[pos_ + 2] == '>' ? pos_ + 3 : skip_to_gt(pos_ + 2);  // "</>" or a bogus comment
    return markup::skipped;
  }
  if (c == '!' && in_.substr(pos_ + 2, 2) == "--") {
    std::size_t p = pos_ + 4;
    if (p < n && in_[p] == '>') {  // "<!-->"
      pos_ = p + 1;
      return markup::skipped;
    }
    if (in_.substr(p, 2) == "->") {  // "<!--->"
      pos_ = p + 2;
      return markup::skipped;
    }
    for (;;) {
      const std::size_t dash = in_.find("--", p);
      if (dash == std::string_view::npos) {
        pos_ = n;  // unterminated: the rest is comment
        return markup::skipped;
      }
      if (in_.substr(dash + 2, 1) == ">") {
        pos_ = dash + 3;
        return markup::skipped;
      }
      if (in_.substr(dash + 2, 2) == "!>") {
        pos_ = dash + 4;
        return markup::skipped;
      }
      p = dash + 1;
    }
  }
  // <!DOCTYPE ...>, <![CDATA[...]]> outside foreign content, <?...?>, <!anything>: bogus
  // comments that end at the first '>'.
  pos_ = skip_to_gt(pos_ + 2);
  return markup::skipped;
}

void html_tokenizer::read_text() {
  const std::size_t n = in_.size();
  const std::size_t begin = pos_;
  std::size_t p = pos_;
  std::size_t copied = begin;  // input before this is already in arena_ (decoding mode)
  bool decoding = false;
  if (in_[p] == '<') ++p;  // a '<' that starts no markup (the caller checked)
  while ((p = find_any<'<', '&', '\0'>(in_, p)) < n) {
    const char c = in_[p];
    if (c == '<') {
      if (starts_markup(p)) break;
      ++p;
    } else {
      if (!decoding) {
        arena_.clear();
        decoding = true;
      }
      arena_.append(in_.substr(copied, p - copied));
      p = c == '&' ? decode_character_reference(in_, p, false, arena_) : p + 1;  // NUL is dropped
      copied = p;
    }
  }
  tok_.kind = html_token_kind::text;
  tok_.raw = false;
  if (decoding) {
    arena_.append(in_.substr(copied, p - copied));
    tok_.text = arena_;
  } else {
    tok_.text = in_.substr(begin, p - begin);
  }
  pos_ = p;
}

void html_tokenizer::read_raw_text() {
  const std::size_t n = in_.size();
  std::size_t end = n;
  for (std::size_t from = pos_; !plaintext_;) {
    const std::size_t lt = in_.find("</", from);
    if (lt == std::string_view::npos) break;
    const std::size_t after = lt + 2 + raw_end_.size();
    if (after < n && istarts_with(in_.substr(lt + 2), raw_end_) &&
        (is_tag_space(in_[after]) || in_[after] == '/' || in_[after] == '>')) {
      end = lt;
      break;
    }
    from = lt + 2;
  }
  const std::string_view content = in_.substr(pos_, end - pos_);
  raw_end_ = {};
  tok_.kind = html_token_kind::text;
  tok_.raw = true;
  tok_.text = content;
  if (raw_escapable_ && content.find('&') != std::string_view::npos) {
    arena_.clear();
    for (std::size_t i = 0; i < content.size();) {
      const std::size_t amp = content.find('&', i);
      if (amp == std::string_view::npos) {
        arena_.append(content.substr(i));
        break;
      }
      arena_.append(content.substr(i, amp - i));
      i = decode_character_reference(content, amp, false, arena_);
    }
    tok_.text = arena_;
  }
  pos_ = end;
}

const html_token& html_tokenizer::next() {
  while (pos_ < in_.size()) {
    if (!raw_end_.empty() || plaintext_) {
      read_raw_text();
      if (!tok_.text.empty()) return tok_;
      continue;
    }
    if (in_[pos_] == '<' && starts_markup(pos_)) {
      if (read_markup() == markup::token) return tok_;
      continue;
    }
    read_text();
    return tok_;
  }
  tok_ = html_token{};
  return tok_;
}

}  // namespace mailtriage::mime::detail
