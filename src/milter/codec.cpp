#include "mailtriage/milter/codec.hpp"

#include <algorithm>
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
  std::span<char> room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::span<char> frame_decoder::prepare(std::size_t min_bytes) {
  // Compact first: the unconsumed bytes (part of one frame, usually none) move to the
  // front, so the buffer stays around one frame's size.
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t want = min_bytes;
  if (end_ >= 4) {
    // The rest of the frame being buffered (its length was checked when next_view() saw
    // it; an unchecked one is bounded here the same way).
    std::size_t frame_bytes = 4 + std::min<std::size_t>(wire::load_u32(buffer_.get()), max_payload_ + 1);
    if (frame_bytes > end_) want = std::max(want, frame_bytes - end_);
  }
  if (capacity_ - end_ < want) {
    std::size_t grown = std::max(end_ + want, capacity_ * 2);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    if (end_ > 0) std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
  }
  return {buffer_.get() + end_, capacity_ - end_};
}

void frame_decoder::release(std::size_t keep_bytes) {
  if (begin_ != end_ || capacity_ <= keep_bytes) return;
  buffer_.reset();
  capacity_ = begin_ = end_ = 0;
}

expected<std::optional<frame_view>, codec_error> frame_decoder::next_view() {
  if (failed_) return unexpected{error_};
  std::size_t available = end_ - begin_;
  if (available < 4) return std::optional<frame_view>{};
  const char* at = buffer_.get() + begin_;
  std::uint32_t length = wire::load_u32(at);
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
  if (available < 4 + static_cast<std::size_t>(length)) return std::optional<frame_view>{};
  frame_view f{at[4], std::string_view(at + 5, length - 1)};
  begin_ += 4 + length;
  return std::optional<frame_view>{f};
}

expected<std::optional<frame>, codec_error> frame_decoder::next() {
  auto v = next_view();
  if (!v) return unexpected{v.error()};
  if (!v.value()) return std::optional<frame>{};
  return std::optional<frame>{frame{v.value()->code, std::string(v.value()->payload)}};
}

}  // namespace mailtriage::milter
