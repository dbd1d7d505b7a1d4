#pragma once
// Splits a multipart body at its boundary delimiters (private). Pure, thread-safe.
#include <string_view>
#include <vector>

namespace mailtriage::mime::detail {

struct multipart_split {
  std::vector<std::string_view> parts;  // bodies between delimiters (views into the input)
  bool found_delimiter = false;
  bool closed = false;  // the close delimiter "--boundary--" was seen
};

// One pass over the lines of `body`. A delimiter line is "--" boundary, optionally "--",
// then only whitespace; the line break before it belongs to the delimiter. At most
// `max_parts` parts are returned (the rest is ignored and reported by truncation).
[[nodiscard]] multipart_split split_multipart(std::string_view body, std::string_view boundary,
                                              std::size_t max_parts, bool& parts_capped);

}  // namespace mailtriage::mime::detail
