#pragma once
// Private byte-level helpers shared by the command and reply codecs.
#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <string_view>

#include "mailtriage/milter/codec.hpp"
#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::milter::wire {

inline std::uint32_t load_u32(const char* p) {
  auto b = [p](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

inline void put_u32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

inline void put_u16(std::string& out, std::uint16_t v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

inline void put_cstring(std::string& out, std::string_view s) {
  out += s;
  out += '\0';
}

// Starts a frame: reserves the length prefix, writes the code. finish_frame() fills
// the length in once the payload is appended.
inline std::size_t begin_frame(std::string& out, char code) {
  std::size_t start = out.size();
  out.append(4, '\0');
  out += code;
  return start;
}

inline void finish_frame(std::string& out, std::size_t start) {
  auto length = static_cast<std::uint32_t>(out.size() - start - 4);
  out[start] = static_cast<char>((length >> 24) & 0xff);
  out[start + 1] = static_cast<char>((length >> 16) & 0xff);
  out[start + 2] = static_cast<char>((length >> 8) & 0xff);
  out[start + 3] = static_cast<char>(length & 0xff);
}

// Reads fields from one payload front to back; the first failure sticks.
class reader {
 public:
  explicit reader(std::string_view payload) : rest_(payload) {}

  std::uint32_t u32() {
    if (!need(4)) return 0;
    std::uint32_t v = load_u32(rest_.data());
    rest_.remove_prefix(4);
    return v;
  }
  std::uint16_t u16() {
    if (!need(2)) return 0;
    auto v = static_cast<std::uint16_t>((static_cast<unsigned char>(rest_[0]) << 8) |
                                        static_cast<unsigned char>(rest_[1]));
    rest_.remove_prefix(2);
    return v;
  }
  char byte() {
    if (!need(1)) return 0;
    char c = rest_[0];
    rest_.remove_prefix(1);
    return c;
  }
  std::string cstring() { return std::string(cstring_view()); }
  // The same string in place: valid as long as the payload is.
  std::string_view cstring_view() {
    if (failed()) return {};
    auto nul = rest_.find('\0');
    if (nul == std::string_view::npos) {
      error_ = codec_error::missing_nul;
      return {};
    }
    std::string_view s = rest_.substr(0, nul);
    rest_.remove_prefix(nul + 1);
    return s;
  }
  std::string remainder() {
    std::string s(rest_);
    rest_ = {};
    return s;
  }
  // Call after the last field: unread bytes are an error.
  void expect_end() {
    if (!failed() && !rest_.empty()) error_ = codec_error::leftover_data;
  }
  void fail(codec_error e) {
    if (!failed()) error_ = e;
  }
  [[nodiscard]] bool at_end() const { return rest_.empty(); }
  [[nodiscard]] std::string_view unread() const { return rest_; }
  [[nodiscard]] bool failed() const { return error_.has_value(); }
  [[nodiscard]] codec_error error() const { return *error_; }

 private:
  bool need(std::size_t n) {
    if (failed()) return false;
    if (rest_.size() < n) {
      error_ = codec_error::packet_too_short;
      return false;
    }
    return true;
  }
  std::string_view rest_;
  std::optional<codec_error> error_;
};

// SMFIC_OPTNEG's payload, the same frame both ways: version, actions and protocol
// steps; in a filter's reply (protocol 6) then the macro lists it wants per stage. The
// MTA's offer carries none, so a decoded offer reads no lists (bytes after the three
// words stay unread: an error).
inline void put_option_negotiation(std::string& out, const option_negotiation& o) {
  auto s = begin_frame(out, SMFIC_OPTNEG);
  put_u32(out, o.version);
  put_u32(out, o.actions);
  put_u32(out, o.protocol);
  for (const auto& [stage_id, names] : o.macro_lists) {
    put_u32(out, stage_id);
    put_cstring(out, names);
  }
  finish_frame(out, s);
}

inline option_negotiation read_option_negotiation(reader& r, bool macro_lists) {
  option_negotiation o;
  o.version = r.u32();
  o.actions = r.u32();
  o.protocol = r.u32();
  while (macro_lists && !r.at_end() && !r.failed()) {
    std::uint32_t stage_id = r.u32();
    std::string names = r.cstring();
    o.macro_lists.emplace_back(stage_id, std::move(names));
  }
  return o;
}

// Ends a decode: left-over bytes or an earlier failure become the error, else the
// value wrapped as `Result` (a command or a reply).
template <class Result, class T>
expected<Result, codec_error> finish(reader& r, T value) {
  r.expect_end();
  if (r.failed()) return unexpected{r.error()};
  return Result{std::move(value)};
}

}  // namespace mailtriage::milter::wire
