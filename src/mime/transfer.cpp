// Transfer decoders. Base64 is table-driven and keeps the semantics of the mimetic
// Base64::Decoder we used before (our loop validates, resynchronises after padding and stops
// at the output cap; mimetic's group state survives a flush of a lone sextet): whole groups
// of four alphabet characters take a fast path, anything else goes through the same state
// machine one character at a time. Quoted-printable and uuencode are our own: mimetic's QP
// decoder does not report malformed escapes.
#include "transfer.hpp"

#include <cstdint>
#include <cstring>

#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Value of the escape "=XX" starting at s[i] (s[i] == '='), or -1 when malformed.
int escape_value(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size()) return -1;
  int hi = hex_value(s[i + 1]);
  int lo = hex_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Base64 class of each byte: the sextet value (0..63), or one of the codes below, all of
// which have bit 6 set so that OR-ing four classes tells whether any is not a sextet.
constexpr std::uint8_t kB64Pad = 0x40, kB64Space = 0x41, kB64Other = 0x42;
struct base64_table {
  std::uint8_t v[256];
  constexpr base64_table() : v{} {
    for (int c = 0; c < 256; ++c) v[c] = kB64Other;
    for (int c = 'A'; c <= 'Z'; ++c) v[c] = static_cast<std::uint8_t>(c - 'A');
    for (int c = 'a'; c <= 'z'; ++c) v[c] = static_cast<std::uint8_t>(c - 'a' + 26);
    for (int c = '0'; c <= '9'; ++c) v[c] = static_cast<std::uint8_t>(c - '0' + 52);
    v['+'] = 62;
    v['/'] = 63;
    v['='] = kB64Pad;
    v[' '] = v['\t'] = v['\r'] = v['\n'] = kB64Space;
  }
};
constexpr base64_table kBase64{};

// Base64 group state as mimetic's decoder keeps it, writing into a pre-sized buffer.
class base64_state {
 public:
  base64_state(char* out, std::size_t cap, bool& capped) : out_(out), cap_(cap), capped_(&capped) {}
  void process(std::uint8_t sextet) {
    ch_[cidx_++] = sextet;
    if (cidx_ == 4) write_group();
  }
  void flush() {
    if (cidx_ > 0) write_group();
  }
  // Fast path for four sextets when no group is pending and the bytes fit under the cap.
  [[nodiscard]] bool can_take_quad() const { return cidx_ == 0 && used_ + 3 <= cap_; }
  void put_quad(std::uint32_t v) {
    out_[used_] = static_cast<char>(v >> 16);
    out_[used_ + 1] = static_cast<char>(v >> 8);
    out_[used_ + 2] = static_cast<char>(v);
    used_ += 3;
  }
  [[nodiscard]] std::size_t used() const { return used_; }

 private:
  static constexpr std::uint8_t kMissing = 100;  // a missing sextet in a short group
  void put(unsigned v) {
    if (used_ < cap_) out_[used_++] = static_cast<char>(v);
    else *capped_ = true;
  }
  // A group of 2..4 sextets gives 1..3 bytes; a lone sextet is kept (mimetic does not
  // reset its group for it, so it becomes the first of the next group).
  void write_group() {
    if (cidx_ == 1) return;
    if (cidx_ == 2) ch_[2] = ch_[3] = kMissing;
    else if (cidx_ == 3) ch_[3] = kMissing;
    cidx_ = 0;
    put(static_cast<unsigned>(ch_[0] << 2 | ((ch_[1] >> 4) & 0x3)));
    if (ch_[2] == kMissing) return;
    put(static_cast<unsigned>(ch_[1] << 4 | ((ch_[2] >> 2) & 0xF)));
    if (ch_[3] == kMissing) return;
    put(static_cast<unsigned>(ch_[2] << 6 | ch_[3]));
  }

  char* out_;
  std::size_t cap_;
  bool* capped_;
  std::size_t used_ = 0;
  int cidx_ = 0;
  std::uint8_t ch_[4] = {};
};

}  // namespace

decoded decode_base64(std::string_view in, std::size_t cap) {
  decoded r;
  // Four characters never give more than three bytes, so the buffer is sized once.
  r.bytes.resize(std::min(cap, in.size() / 4 * 3 + 3));
  base64_state dec(r.bytes.data(), cap, r.capped);
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t group = 0;  // alphabet characters in the current 4-character group
  bool padded = false;
  std::size_t i = 0;
  while (i < n) {
    if (!padded) {
      while (i + 4 <= n && dec.can_take_quad()) {
        const std::uint8_t a = kBase64.v[s[i]], b = kBase64.v[s[i + 1]], c = kBase64.v[s[i + 2]],
                           d = kBase64.v[s[i + 3]];
        if ((a | b | c | d) & 0x40) break;
        dec.put_quad(std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | std::uint32_t{c} << 6 | d);
        i += 4;  // a whole group: `group` is unchanged
      }
      if (i >= n) break;
    }
    const std::uint8_t v = kBase64.v[s[i++]];
    if (v < 64) {
      if (padded) {  // data after padding: a second blob glued on; start a fresh group
        r.bad = true;
        padded = false;
      }
      dec.process(v);
      group = (group + 1) & 3u;
      if (r.capped) break;
    } else if (v == kB64Pad) {
      if (!padded) {
        if (group < 2) r.bad = true;
        dec.flush();
        group = 0;
        padded = true;
      }
    } else if (v != kB64Space) {
      r.bad = true;
    }
  }
  if (!r.capped) {
    if (group == 1) r.bad = true;  // 6 dangling bits cannot make a byte
    if (group != 0 && !padded) dec.flush();
  }
  r.bytes.resize(dec.used());
  return r;
}

decoded decode_qp(std::string_view in, std::size_t cap) {
  decoded r;
  r.bytes.reserve(std::min(cap, in.size()));
  std::string& out = r.bytes;
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (out.size() >= cap) {
      r.capped = true;
      break;
    }
    const char* nl = static_cast<const char*>(std::memchr(in.data() + pos, '\n', in.size() - pos));
    std::size_t line_end = nl ? static_cast<std::size_t>(nl - in.data()) : in.size();
    std::size_t next = nl ? line_end + 1 : in.size();
    std::string_view eol = in.substr(line_end, next - line_end);
    std::string_view line = in.substr(pos, line_end - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      eol = in.substr(line_end - 1, next - line_end + 1);
    }
    while (!line.empty() && is_wsp(line.back())) line.remove_suffix(1);  // transport padding
    bool soft = !line.empty() && line.back() == '=';
    if (soft) line.remove_suffix(1);
    // Literal runs between '=' are appended whole (up to the cap), escapes one at a time.
    std::size_t i = 0;
    while (i < line.size() && out.size() < cap) {
      const void* eq = std::memchr(line.data() + i, '=', line.size() - i);
      std::size_t run_end = eq ? static_cast<std::size_t>(static_cast<const char*>(eq) - line.data()) : line.size();
      std::size_t take = std::min(run_end - i, cap - out.size());
      out.append(line.data() + i, take);
      i += take;
      if (i < run_end || i == line.size() || out.size() >= cap) break;  // capped, or no '=' left
      if (int v = escape_value(line, i); v >= 0) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
      r.bad = true;
      out.push_back('=');
      ++i;
    }
    if (!soft) out.append(eol);
    pos = next;
  }
  if (out.size() > cap) {
    out.resize(cap);
    r.capped = true;
  }
  return r;
}

decoded decode_q(std::string_view in) {
  decoded r;
  r.bytes.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '_') {
      r.bytes.push_back(' ');
    } else if (c == '=') {
      if (int v = escape_value(in, i); v >= 0) {
        r.bytes.push_back(static_cast<char>(v));
        i += 2;
      } else {
        r.bad = true;
        r.bytes.push_back(c);
      }
    } else {
      r.bytes.push_back(c);
    }
  }
  return r;
}

decoded copy_identity(std::string_view in, std::size_t cap) {
  decoded r;
  r.capped = in.size() > cap;
  r.bytes.assign(in.substr(0, std::min(cap, in.size())));
  return r;
}

namespace {

struct line_view {
  std::string_view text;  // without EOL
  std::size_t next = 0;   // offset of the following line
};

line_view line_at(std::string_view s, std::size_t pos) {
  const char* nl = static_cast<const char*>(std::memchr(s.data() + pos, '\n', s.size() - pos));
  std::size_t end = nl ? static_cast<std::size_t>(nl - s.data()) : s.size();
  std::string_view t = s.substr(pos, end - pos);
  if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
  return {t, nl ? end + 1 : s.size()};
}

// "begin 644 name": mode is 3 or 4 octal digits.
bool parse_begin(std::string_view line, std::string& filename) {
  if (!line.starts_with("begin ")) return false;
  std::size_t i = 6;
  std::size_t digits = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '7') {
    ++i;
    ++digits;
  }
  if (digits < 3 || digits > 4 || i >= line.size() || line[i] != ' ') return false;
  filename = std::string(trim(line.substr(i + 1)));
  return !filename.empty();
}

}  // namespace

bool find_uuencoded(std::string_view text, std::size_t from, std::size_t cap, uu_block& out) {
  std::size_t pos = from;
  while (pos < text.size()) {
    line_view l = line_at(text, pos);
    if (!parse_begin(l.text, out.filename)) {
      pos = l.next;
      continue;
    }
    out.begin = pos;
    out.data = decoded{};
    std::string& bytes = out.data.bytes;
    pos = l.next;
    bool ended = false;
    while (pos < text.size()) {
      line_view d = line_at(text, pos);
      pos = d.next;
      if (d.text == "end") {
        ended = true;
        break;
      }
      if (d.text.empty()) continue;
      auto sextet = [&](std::size_t i) {
        return i < d.text.size() ? static_cast<unsigned>(d.text[i] - ' ') & 0x3Fu : 0u;
      };
      std::size_t n = sextet(0);
      if (n == 0) continue;  // the "`" line before "end"
      if ((d.text.size() - 1) * 3 / 4 + 3 < n) out.data.bad = true;  // line too short
      for (std::size_t i = 1, produced = 0; produced < n; i += 4) {
        unsigned v = (sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6) | sextet(i + 3);
        for (int k = 2; k >= 0 && produced < n; --k, ++produced) {
          if (bytes.size() >= cap) {
            out.data.capped = true;
            break;
          }
          bytes.push_back(static_cast<char>((v >> (8 * k)) & 0xFFu));
        }
        if (out.data.capped) break;
      }
      if (out.data.capped) {  // skip the rest of the block without decoding it
        while (pos < text.size() && !ended) {
          line_view rest = line_at(text, pos);
          pos = rest.next;
          ended = rest.text == "end";
        }
        break;
      }
    }
    if (!ended) out.data.bad = true;
    out.end = pos;
    return true;
  }
  return false;
}

}  // namespace mailtriage::mime::detail
