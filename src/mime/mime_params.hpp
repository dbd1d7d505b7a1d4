#pragma once
// Content-Type / Content-Disposition value parsing with RFC 2231 parameters (private).
// Pure, thread-safe.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailtriage/mime/defects.hpp"

namespace mailtriage::mime::detail {

struct content_header {
  std::string value;  // lower-case token before the first ';' (e.g. "text/plain"), comments removed
  std::vector<std::pair<std::string, std::string>> params;  // lower-case names, decoded UTF-8 values

  [[nodiscard]] const std::string* param(std::string_view name) const;
};

// Parses an unfolded header value. RFC 2231 continuations (name*0, name*1*) are joined,
// extended values (charset'lang'%XX) and RFC 2047 words in quoted values are decoded.
// At most 64 parameters are kept. Linear time.
[[nodiscard]] content_header parse_content_header(std::string_view value, defect_set& defects);

}  // namespace mailtriage::mime::detail
