#include "mailtriage/milter/codec.hpp"

#include <cstring>

#include "wire.hpp"

namespace mailtriage::milter {

const char* describe(codec_error e) {
  switch (e) {
    case codec_error::frame_too_short: return "frame too short";
    case codec_error::frame_too_long: return "frame too long";
    case codec_error::packet_too_short: return "packet too short";
    case codec_error::missing_nul: return "missing string null terminator";
    case codec_error::leftover_data: return "left-over data";
    case codec_error::unknown_code: return "unknown command or reply code";
    case codec_error::bad_family: return "unknown address family";
    case codec_error::missing_argument: return "missing address argument";
  }
  return "codec error";
}

void frame_decoder::feed(std::string_view bytes) {
  if (failed_) return;
  // Compact before growing so the buffer stays around one frame's size.
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > 65536 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

expected<std::optional<frame>, codec_error> frame_decoder::next() {
  if (failed_) return unexpected{error_};
  std::size_t available = buffer_.size() - offset_;
  if (available < 4) return std::optional<frame>{};
  std::uint32_t length = wire::load_u32(buffer_.data() + offset_);
  // Checked before anything else is read or buffered: a hostile length cannot make us
  // wait for (or allocate) gigabytes.
  if (length == 0) {
    failed_ = true;
    error_ = codec_error::frame_too_short;
    return unexpected{error_};
  }
  if (length - 1 > max_payload_) {
    failed_ = true;
    error_ = codec_error::frame_too_long;
    return unexpected{error_};
  }
  if (available < 4 + static_cast<std::size_t>(length)) return std::optional<frame>{};
  frame f;
  f.code = buffer_[offset_ + 4];
  f.payload.assign(buffer_, offset_ + 5, length - 1);
  offset_ += 4 + length;
  return std::optional<frame>{std::move(f)};
}

}  // namespace mailtriage::milter
