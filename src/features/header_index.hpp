#pragma once
// The header fields the feature groups read, found in one pass over a message's fields
// (private). Built once per message by extract_with_pii, instead of one linear,
// case-insensitive scan of every field per lookup (some thirty lookups per message).
// Lookups keep find_header's semantics: names compare case-insensitively (ASCII), first()
// is the first field of that name, every() visits them all in message order.
// Holds pointers into the message's field vector: valid while that vector is unchanged.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mailtriage/mime/message.hpp"

namespace mailtriage::features::detail {

enum class known_header : std::uint8_t {
  from, reply_to, return_path, to, cc, message_id, date, received, mime_version, list_id,
  list_unsubscribe, precedence, auto_submitted, in_reply_to, references, subject,
  authentication_results, dkim_signature, x_mailer, user_agent, x_newsreader, delivered_to,
  received_spf,
  other,  // any other name
};
inline constexpr std::size_t known_header_count = static_cast<std::size_t>(known_header::other);

// The known header a field name is (ASCII case-insensitive), or known_header::other.
[[nodiscard]] known_header classify_header(std::string_view name);

class header_index {
 public:
  explicit header_index(const std::vector<mime::header_field>& headers);

  [[nodiscard]] const mime::header_field* first(known_header h) const { return slot(h).first; }
  [[nodiscard]] const mime::header_field* last(known_header h) const { return slot(h).last; }
  [[nodiscard]] std::size_t count(known_header h) const { return slot(h).count; }
  // Decoded value of the first such field, "" when absent.
  [[nodiscard]] std::string_view value(known_header h) const {
    const mime::header_field* f = first(h);
    return f ? f->value() : std::string_view();
  }
  // Calls fn(const mime::header_field&) for every field called h, in message order.
  template <typename Fn>
  void every(known_header h, Fn&& fn) const {
    if (count(h) == 0) return;
    for (std::size_t i = 0; i < kinds_.size(); ++i)
      if (kinds_[i] == h) fn((*headers_)[i]);
  }
  // Kind of the i-th field of the indexed vector.
  [[nodiscard]] known_header kind(std::size_t i) const { return kinds_[i]; }

 private:
  struct entry {
    const mime::header_field* first = nullptr;
    const mime::header_field* last = nullptr;
    std::size_t count = 0;
  };
  [[nodiscard]] const entry& slot(known_header h) const { return slots_[static_cast<std::size_t>(h)]; }

  const std::vector<mime::header_field>* headers_;
  std::vector<known_header> kinds_;  // parallel to *headers_
  std::array<entry, known_header_count> slots_{};
};

}  // namespace mailtriage::features::detail
