#pragma once
// Splits one entity's header section into fields (private). Pure, thread-safe.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/mime/defects.hpp"
#include "mailtriage/mime/limits.hpp"
#include "mailtriage/mime/message.hpp"

namespace mailtriage::mime::detail {

struct header_section {
  std::vector<header_field> fields;
  std::size_t body_offset = 0;  // offset of the body in the entity (entity size if none)
};

// Parses the header section at the start of `entity`, up to the first empty line.
// At most lim.max_header_bytes are parsed and at most `headers_left` fields are kept
// (decremented); the body is still located past any skipped header bytes. Linear time.
[[nodiscard]] header_section parse_header_section(std::string_view entity, const limits& lim,
                                                  std::uint32_t& headers_left, defect_set& defects);

// Removes folding line breaks (CR/LF followed by whitespace) and trims the result.
[[nodiscard]] std::string unfold(std::string_view raw_value);
// The same, appended to `out`.
void unfold_into(std::string& out, std::string_view raw_value);

}  // namespace mailtriage::mime::detail
