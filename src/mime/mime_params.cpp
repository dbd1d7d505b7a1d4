#include "mime_params.hpp"

#include <algorithm>

#include "charset.hpp"
#include "rfc2047.hpp"
#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

constexpr std::size_t max_params = 64;

struct segment {
  std::string name;  // base name, lower-case
  unsigned index = 0;
  bool extended = false;
  std::string value;
};

class scanner {
 public:
  explicit scanner(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  void skip() { ++pos_; }
  // Skips whitespace and (possibly nested) comments.
  void skip_cfws() {
    while (pos_ < s_.size()) {
      if (is_space(s_[pos_])) {
        ++pos_;
      } else if (s_[pos_] == '(') {
        int nesting = 0;
        for (; pos_ < s_.size(); ++pos_) {
          if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
          else if (s_[pos_] == '(') ++nesting;
          else if (s_[pos_] == ')' && --nesting == 0) break;
        }
        // Past the ')' — or at the end of an unterminated comment, never beyond it.
        pos_ = std::min(pos_ + 1, s_.size());
      } else {
        return;
      }
    }
  }
  std::string_view token(std::string_view stops) {
    std::size_t b = pos_;
    while (pos_ < s_.size() && stops.find(s_[pos_]) == std::string_view::npos && !is_space(s_[pos_]) &&
           s_[pos_] != '(')
      ++pos_;
    return s_.substr(b, pos_ - b);
  }
  std::string quoted() {  // at '"'
    std::string out;
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_++]);
    }
    pos_ = std::min(pos_ + 1, s_.size());  // past the closing quote, if there is one
    return out;
  }
  void skip_to(char c) {
    while (pos_ < s_.size() && s_[pos_] != c) ++pos_;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string decode_plain_value(const std::string& v, defect_set& defects) {
  if (v.find("=?") != std::string::npos) return decode_header_text(v, defects);
  if (has_eight_bit(v)) return to_utf8(v, "").text;
  return v;
}

// Joins the segments of one parameter (sorted by index) and decodes them.
std::string assemble(std::vector<segment>& segs, std::size_t b, std::size_t e, defect_set& defects) {
  std::stable_sort(segs.begin() + static_cast<std::ptrdiff_t>(b), segs.begin() + static_cast<std::ptrdiff_t>(e),
                   [](const segment& x, const segment& y) { return x.index < y.index; });
  if (!segs[b].extended && e - b == 1) return decode_plain_value(segs[b].value, defects);
  std::string charset;
  std::string bytes;
  for (std::size_t i = b; i < e; ++i) {
    std::string_view v = segs[i].value;
    if (segs[i].extended) {
      if (i == b) {
        std::size_t q1 = v.find('\'');
        std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
        if (q2 != std::string_view::npos) {
          charset = std::string(v.substr(0, q1));
          v = v.substr(q2 + 1);
        }
      }
      bytes += percent_decode(v);
    } else {
      bytes += v;
    }
  }
  conversion c = to_utf8(bytes, charset);
  if (c.bad) defects.set(defect::bad_charset);
  return std::move(c.text);
}

}  // namespace

const std::string* content_header::param(std::string_view name) const {
  for (const auto& p : params)
    if (p.first == name) return &p.second;
  return nullptr;
}

content_header parse_content_header(std::string_view value, defect_set& defects) {
  content_header out;
  scanner sc(value);
  sc.skip_cfws();
  std::string head;
  while (!sc.done() && sc.peek() != ';') {  // "text / plain" with stray spaces or comments
    head += sc.token(";");
    sc.skip_cfws();
  }
  out.value = to_lower(head);

  std::vector<segment> segs;
  while (!sc.done() && segs.size() < max_params) {
    sc.skip();  // ';'
    sc.skip_cfws();
    if (sc.done()) break;
    std::string name = to_lower(sc.token(";="));
    sc.skip_cfws();
    if (sc.done() || sc.peek() != '=') {
      sc.skip_to(';');
      continue;
    }
    sc.skip();  // '='
    sc.skip_cfws();
    std::string v;
    if (!sc.done() && sc.peek() == '"') v = sc.quoted();
    else v = std::string(sc.token(";"));
    sc.skip_cfws();
    sc.skip_to(';');
    if (name.empty()) continue;
    segment seg;
    if (name.back() == '*') {
      seg.extended = true;
      name.pop_back();
    }
    if (auto star = name.rfind('*'); star != std::string::npos) {
      std::string_view idx = std::string_view(name).substr(star + 1);
      unsigned n = 0;
      bool numeric = !idx.empty() && idx.size() <= 4;
      for (char c : idx) {
        if (c < '0' || c > '9') numeric = false;
        else n = n * 10 + static_cast<unsigned>(c - '0');
      }
      if (numeric) {
        seg.index = n;
        name.resize(star);
      }
    }
    seg.name = std::move(name);
    seg.value = std::move(v);
    segs.push_back(std::move(seg));
  }
  // Group the segments of each parameter together (parameters end up sorted by name).
  std::stable_sort(segs.begin(), segs.end(), [&](const segment& a, const segment& b) { return a.name < b.name; });
  for (std::size_t b = 0; b < segs.size();) {
    std::size_t e = b + 1;
    while (e < segs.size() && segs[e].name == segs[b].name) ++e;
    std::string decoded = assemble(segs, b, e, defects);
    out.params.emplace_back(segs[b].name, std::move(decoded));
    b = e;
  }
  return out;
}

}  // namespace mailtriage::mime::detail
