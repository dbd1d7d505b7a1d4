#pragma once
// Milter wire format: 4-byte big-endian length (command byte + payload), one command
// byte, payload. Pure functions and a pure incremental decoder: no I/O, no clocks,
// no exceptions. Every malformed input maps to one named error.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mailtriage/milter/messages.hpp"
#include "mailtriage/milter/protocol.hpp"
#include "mailtriage/util/expected.hpp"

namespace mailtriage::milter {

enum class codec_error {
  frame_too_short,   // length field 0: not even a command byte
  frame_too_long,    // length above the negotiated maximum; refused before buffering
  packet_too_short,  // payload ends before a fixed-size field
  missing_nul,       // a string field is not NUL-terminated
  leftover_data,     // bytes after the last field
  unknown_code,      // command or reply byte not defined by the protocol
  bad_family,        // SMFIC_CONNECT with an unknown address family
  missing_argument,  // SMFIC_MAIL / SMFIC_RCPT without an address
};
[[nodiscard]] const char* describe(codec_error e);

struct frame {
  char code = 0;
  std::string payload;
};

// A frame whose payload lies in the decoder's buffer: valid until the decoder's next
// call to next(), next_view(), feed() or prepare().
struct frame_view {
  char code = 0;
  std::string_view payload;
};

// Splits a byte stream into frames. Owns its buffer; one decoder per connection;
// not thread-safe. After an error the decoder stays failed: the connection must close.
// A reader can receive straight into the buffer (prepare() then commit()) and decode
// frames where they lie (next_view()), so payload bytes are not copied on the way in.
class frame_decoder {
 public:
  explicit frame_decoder(std::size_t max_payload = kDefaultMaxData) : max_payload_(max_payload) {}

  // Raises or lowers the largest payload accepted (after SMFIP_MDS_* negotiation).
  void set_max_payload(std::size_t n) { max_payload_ = n; }
  [[nodiscard]] std::size_t max_payload() const { return max_payload_; }

  // Appends received bytes. Bytes past a frame boundary are kept for the next frame.
  void feed(std::string_view bytes);

  // Room for at least `min_bytes` more bytes at the end of the buffer (after moving
  // the unconsumed bytes to its front); a receive writes there, then commit()s what
  // it got. The room is the rest of the frame being buffered when that is larger, so a
  // body chunk arrives in as few reads as the socket allows.
  [[nodiscard]] std::span<char> prepare(std::size_t min_bytes);
  void commit(std::size_t n) { end_ += n; }

  // The next complete frame, std::nullopt when more bytes are needed, or an error.
  [[nodiscard]] expected<std::optional<frame>, codec_error> next();
  // The same without copying the payload (see frame_view for how long it stays valid).
  [[nodiscard]] expected<std::optional<frame_view>, codec_error> next_view();

  // True while part of a frame is buffered (a slow-sender deadline applies).
  [[nodiscard]] bool mid_frame() const { return end_ > begin_; }
  [[nodiscard]] std::size_t buffered() const { return end_ - begin_; }
  // Frees a buffer grown past `keep_bytes` once nothing is buffered (between messages),
  // so an idle connection holds no more than that.
  void release(std::size_t keep_bytes);

 private:
  std::size_t max_payload_;
  std::unique_ptr<char[]> buffer_;  // not zero-filled: receives write into it directly
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  bool failed_ = false;
  codec_error error_ = codec_error::frame_too_short;
};

[[nodiscard]] expected<command, codec_error> decode_command(const frame& f);
[[nodiscard]] expected<command, codec_error> decode_command(const frame_view& f);
// Decodes into `into`, reusing its strings' capacity when it already holds a header,
// body chunk or end of message (the frames that come many to a message). Returns the
// error, if any; `into` is then left valid but unspecified.
[[nodiscard]] std::optional<codec_error> decode_command_into(const frame_view& f, command& into);
[[nodiscard]] expected<reply, codec_error> decode_reply(const frame& f);

// Whole frames (length prefix included), ready to write.
[[nodiscard]] std::string encode(const command& c);
[[nodiscard]] std::string encode(const reply& r);
void append_encoded(std::string& out, const reply& r);

}  // namespace mailtriage::milter
