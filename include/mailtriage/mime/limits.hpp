#pragma once
// Hard bounds on what mime::parse() will do with one message. Whatever the input,
// parse() never goes beyond these: when a bound is reached, parsing (of that part or of
// the whole message, as documented per field) stops there and a defect flag says so.
// A plain value type: copy it freely; it is read-only during parse() and thread-safe.
#include <cstddef>
#include <cstdint>

namespace mailtriage::mime {

struct limits {
  // Deepest nesting of multipart / message/rfc822 entities; the top-level message is 0.
  // Deeper entities are kept as opaque leaves (defect::depth_limit).
  std::uint32_t max_depth = 20;
  // Most MIME parts (every entity, multipart containers included). Parts after that are
  // not parsed at all (defect::part_limit).
  std::uint32_t max_parts = 500;
  // Most decoded (transfer-decoded) bytes kept for one leaf part; the rest of that part is
  // dropped, its hash covers only the kept prefix (defect::decoded_bytes_limit).
  std::size_t max_part_decoded_bytes = std::size_t{2} << 20;
  // Most decoded bytes over the whole message; parsing stops when it is reached
  // (defect::decoded_bytes_limit).
  std::size_t max_total_decoded_bytes = std::size_t{8} << 20;
  // Most header fields kept over the whole message, all parts included
  // (defect::header_limit). Further fields are skipped, not parsed.
  std::uint32_t max_headers = 1000;
  // Most bytes of one entity's header section that are parsed (defect::header_size_limit).
  std::size_t max_header_bytes = std::size_t{256} << 10;
  // Most bytes of one HTML part given to the HTML parser (defect::html_limit).
  std::size_t max_html_bytes = std::size_t{1} << 20;
  // Most links (HTML) and most URLs (plain text) kept per message (defect::url_limit).
  std::uint32_t max_links = 2000;
};

}  // namespace mailtriage::mime
