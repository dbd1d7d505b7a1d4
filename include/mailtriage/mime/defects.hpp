#pragma once
// Defect flags: what was wrong with a message, or which limit stopped its parsing.
// defect_set is a small value type (one 64-bit word); not synchronised, copy it freely.
#include <cstdint>
#include <string>
#include <string_view>

namespace mailtriage::mime {

enum class defect : std::uint8_t {
  missing_boundary,           // multipart without a boundary parameter, or no delimiter found
  missing_closing_boundary,   // multipart whose close delimiter never came
  bad_base64,                 // characters outside the alphabet, or bad length/padding
  bad_qp,                     // quoted-printable '=' not followed by two hex digits
  bad_uuencode,               // a uuencoded block that did not decode cleanly
  eight_bit_header,           // raw 8-bit bytes in a header field
  nul_byte,                   // NUL byte anywhere in the message
  truncated,                  // the message ends inside a header section or encoded unit
  bad_charset,                // unknown charset, or bytes invalid in the declared charset
  bad_encoded_word,           // malformed RFC 2047 encoded-word
  bad_header,                 // a header line without a colon, or an empty field name
  unknown_transfer_encoding,  // Content-Transfer-Encoding not one we know
  depth_limit,                // limits::max_depth reached
  part_limit,                 // limits::max_parts reached
  decoded_bytes_limit,        // limits::max_part_decoded_bytes or max_total_decoded_bytes
  header_limit,               // limits::max_headers reached
  header_size_limit,          // limits::max_header_bytes reached
  html_limit,                 // limits::max_html_bytes reached
  url_limit,                  // limits::max_links reached
  missing_headers,            // no From, or no Date, or no header at all
  duplicate_critical_header,  // From, To, Subject, Date, Message-ID, MIME-Version twice
  bare_cr_or_lf_mix,          // CR not followed by LF
  uuencoded_content,          // a uuencoded block found inside a text part
};
inline constexpr int defect_count = static_cast<int>(defect::uuencoded_content) + 1;

// Stable snake_case name of a defect, as written in logs and feature names.
[[nodiscard]] std::string_view to_string(defect d);

class defect_set {
 public:
  constexpr void set(defect d) { bits_ |= bit(d); }
  [[nodiscard]] constexpr bool has(defect d) const { return (bits_ & bit(d)) != 0; }
  [[nodiscard]] constexpr bool empty() const { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint64_t bits() const { return bits_; }
  constexpr void merge(defect_set other) { bits_ |= other.bits_; }
  [[nodiscard]] int count() const;
  // Comma-separated names, in enum order ("" when empty).
  [[nodiscard]] std::string to_string() const;
  friend constexpr bool operator==(defect_set, defect_set) = default;

 private:
  static constexpr std::uint64_t bit(defect d) { return std::uint64_t{1} << static_cast<unsigned>(d); }
  std::uint64_t bits_ = 0;
};

}  // namespace mailtriage::mime
