// Transfer decoders. Base64 uses mimetic's Base64::Decoder for the arithmetic, driven by
// our own walk, which validates (mimetic silently skips bad input), resynchronises after
// padding and stops at the output cap; the same walk measures without decoding. Quoted-
// printable and uuencode are our own: mimetic's QP decoder does not report malformed
// escapes.
#include "transfer.hpp"

#include <mimetic/codec/base64.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

// Output iterator appending to a string up to a cap; further writes are dropped.
class capped_appender {
 public:
  capped_appender(std::string& out, std::size_t cap, bool& capped) : out_(&out), cap_(cap), capped_(&capped) {}
  capped_appender& operator*() { return *this; }
  capped_appender& operator++() { return *this; }
  capped_appender& operator++(int) { return *this; }
  template <class T>
  capped_appender& operator=(T value) {
    if (out_->size() < cap_) out_->push_back(static_cast<char>(value));
    else *capped_ = true;
    return *this;
  }

 private:
  std::string* out_;
  std::size_t cap_;
  bool* capped_;
};

// Value of the escape "=XX" starting at s[i] (s[i] == '='), or -1 when malformed.
int escape_value(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size()) return -1;
  int hi = hex_value(s[i + 1]);
  int lo = hex_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// What the validating scan does with each input byte.
enum class b64_class : unsigned char { alphabet, pad, space, other };

constexpr std::array<b64_class, 256> b64_classes = [] {
  std::array<b64_class, 256> t{};
  t.fill(b64_class::other);
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = b64_class::alphabet;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = b64_class::alphabet;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = b64_class::alphabet;
  t['+'] = t['/'] = b64_class::alphabet;
  t['='] = b64_class::pad;
  t[' '] = t['\t'] = t['\r'] = t['\n'] = b64_class::space;
  return t;
}();

b64_class b64_class_of(char c) { return b64_classes[static_cast<unsigned char>(c)]; }

#if defined(__SSE2__)
// Bit i set when p[i] is in the alphabet, for 16 characters (SSE2 is part of x86-64).
// Signed compares: bytes from 0x80 are negative and fall outside every range.
unsigned alphabet_mask16(const char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto in = [&x](char lo, char hi) {
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                         _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
  };
  __m128i m = _mm_or_si128(_mm_or_si128(in('A', 'Z'), in('a', 'z')), in('0', '9'));
  m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')), _mm_cmpeq_epi8(x, _mm_set1_epi8('/'))));
  return static_cast<unsigned>(_mm_movemask_epi8(m));
}
#endif

// The end of the run of alphabet characters starting at p. Base64 comes in lines of 76
// of them, and looking at each through the class table was most of the cost of
// measuring an attachment: with SSE2, 16 at a time.
const char* alphabet_run_end(const char* p, const char* end) {
#if defined(__SSE2__)
  while (end - p >= 16) {
    if (const unsigned in = alphabet_mask16(p); in != 0xFFFFu) return p + std::countr_one(in);
    p += 16;
  }
#endif
  while (p < end && b64_class_of(*p) == b64_class::alphabet) ++p;
  return p;
}

// The validating walk, shared by decoding and measuring: it classifies the input, flags
// what is malformed (`bad`), and hands runs of alphabet characters and the flushes that
// padding and the end call for to a sink, until the sink says its output is capped.
// `group` is the walk's position in a 4-character group, which only decides the flags
// (the sink keeps the decoder's own count; see measuring_sink).
template <class Sink>
void walk_base64(std::string_view in, bool& bad, Sink& sink) {
  std::size_t group = 0;
  bool padded = false;
  const char* p = in.data();
  const char* const end = p + in.size();
  while (p < end && !sink.capped()) {
    switch (b64_class_of(*p)) {
      case b64_class::alphabet: {
        const char* const run_end = alphabet_run_end(p + 1, end);
        if (padded) {  // data after padding: a second blob glued on; start a fresh group
          bad = true;
          padded = false;
        }
        sink.run(p, run_end, group);
        group = (group + static_cast<std::size_t>(run_end - p)) & 3u;
        p = run_end;
        break;
      }
      case b64_class::pad:
        if (!padded) {
          if (group < 2) bad = true;
          sink.flush();
          group = 0;
          padded = true;
        }
        ++p;
        break;
      case b64_class::space:
        ++p;
        break;
      case b64_class::other:
        bad = true;
        ++p;
        break;
    }
  }
  if (!sink.capped()) {
    if (group == 1) bad = true;  // 6 dangling bits cannot make a byte
    if (group != 0 && !padded) sink.flush();
  }
}

// Decodes with mimetic's decoder into `out`: a char pointer into a buffer known to be big
// enough (the fast path) or a capped_appender (input whose decoded size could exceed the
// cap, which sets `capped` once a byte is refused). On the fast path runs go to mimetic's
// range decoder in whole 4-character groups, so the per-character work there is one
// table look-up and a store.
template <class Out>
class decoding_sink {
 public:
  decoding_sink(Out& out, const bool& capped) : out_(&out), capped_(&capped) {}
  bool capped() const { return *capped_; }
  void flush() { dec_.flush(*out_); }
  void run(const char* p, const char* end, std::size_t group) {
    if constexpr (std::is_same_v<Out, char*>) {
      for (; group != 0 && p < end; group = (group + 1) & 3u) dec_.process(static_cast<unsigned char>(*p++), *out_);
      // Whole groups: exactly 3 bytes each. (The range overload flushes a partial group
      // at its end and takes `out` by value, hence only whole groups, and never an empty
      // range.)
      if (auto whole = static_cast<std::size_t>(end - p) / 4 * 4; whole != 0) {
        dec_.process(p, p + whole, *out_);
        *out_ += whole / 4 * 3;
        p += whole;
      }
    }
    while (p < end && !capped()) dec_.process(static_cast<unsigned char>(*p++), *out_);
  }

 private:
  mimetic::Base64::Decoder dec_;
  Out* out_;
  const bool* capped_;
};

// Counts what mimetic's decoder would write, cap or not. `held` is how many characters
// it holds: 3 bytes come out when it holds 4, and on a flush 1 for 2 and 2 for 3. A
// flush with one character held emits nothing and keeps it (so after padding that
// follows a lone character its output is shifted by a character, though not its
// length): `held` then differs from the walk's `group`. The decoder stops once asked
// to write past `cap`; inside a run nothing else can happen, so runs are counted whole.
class measuring_sink {
 public:
  explicit measuring_sink(std::size_t cap) : cap_(cap) {}
  bool capped() const { return emitted_ > cap_; }
  void flush() {
    if (held_ >= 2) {
      emitted_ += held_ - 1;
      held_ = 0;
    }
  }
  void run(const char* p, const char* end, std::size_t /*group*/) {
    const auto n = static_cast<std::size_t>(end - p);
    emitted_ += (held_ + n) / 4 * 3;
    held_ = (held_ + n) % 4;
  }
  std::size_t size() const { return std::min(emitted_, cap_); }

 private:
  std::size_t cap_, emitted_ = 0, held_ = 0;
};

}  // namespace

decoded_extent measure_base64(std::string_view in, std::size_t cap) {
  decoded_extent r;
  measuring_sink sink(cap);
  walk_base64(in, r.bad, sink);
  r.size = sink.size();
  r.capped = sink.capped();
  return r;
}

decoded decode_base64(std::string_view in, std::size_t cap) {
  decoded r;
  // Each alphabet character carries 6 bits, so the output is at most 3/4 of the input.
  const std::size_t bound = in.size() / 4 * 3 + 3;
  if (bound <= cap) {  // the cap cannot be reached: decode straight into the buffer
    r.bytes.resize(bound);
    char* out = r.bytes.data();
    decoding_sink sink(out, r.capped);
    walk_base64(in, r.bad, sink);
    r.bytes.resize(static_cast<std::size_t>(out - r.bytes.data()));
    return r;
  }
  r.bytes.reserve(cap);
  capped_appender out(r.bytes, cap, r.capped);
  decoding_sink sink(out, r.capped);
  walk_base64(in, r.bad, sink);
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
