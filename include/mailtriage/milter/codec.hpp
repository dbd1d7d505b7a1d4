#pragma once
// Milter wire format: 4-byte big-endian length (command byte + payload), one command
// byte, payload. Pure functions and a pure incremental decoder: no I/O, no clocks,
// no exceptions. Every malformed input maps to one named error.
#include <cstddef>
#include <optional>
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

// Splits a byte stream into frames. Owns its buffer; one decoder per connection;
// not thread-safe. After an error the decoder stays failed: the connection must close.
class frame_decoder {
 public:
  explicit frame_decoder(std::size_t max_payload = kDefaultMaxData) : max_payload_(max_payload) {}

  // Raises or lowers the largest payload accepted (after SMFIP_MDS_* negotiation).
  void set_max_payload(std::size_t n) { max_payload_ = n; }
  [[nodiscard]] std::size_t max_payload() const { return max_payload_; }

  // Appends received bytes. Bytes past a frame boundary are kept for the next frame.
  void feed(std::string_view bytes);

  // The next complete frame, std::nullopt when more bytes are needed, or an error.
  [[nodiscard]] expected<std::optional<frame>, codec_error> next();

  // True while part of a frame is buffered (a slow-sender deadline applies).
  [[nodiscard]] bool mid_frame() const { return buffer_.size() > offset_; }
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::size_t max_payload_;
  std::string buffer_;
  std::size_t offset_ = 0;
  bool failed_ = false;
  codec_error error_ = codec_error::frame_too_short;
};

[[nodiscard]] expected<command, codec_error> decode_command(const frame& f);
[[nodiscard]] expected<reply, codec_error> decode_reply(const frame& f);

// Whole frames (length prefix included), ready to write.
[[nodiscard]] std::string encode(const command& c);
[[nodiscard]] std::string encode(const reply& r);
void append_encoded(std::string& out, const reply& r);

}  // namespace mailtriage::milter
