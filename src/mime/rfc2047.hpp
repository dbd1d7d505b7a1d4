#pragma once
// RFC 2047 encoded-word decoding for header values (private). Pure, thread-safe.
#include <string>
#include <string_view>

#include "mailtriage/mime/defects.hpp"

namespace mailtriage::mime::detail {

// Decodes every =?charset?B|Q?text?= in an unfolded header value to UTF-8; whitespace
// between adjacent encoded-words is dropped, and adjacent words in one charset are joined
// before conversion (so a character split across words survives). Text outside
// encoded-words is kept, converted from windows-1252 when it is 8-bit and not UTF-8.
// Sets bad_encoded_word / bad_charset / bad_base64 in `defects`. Linear time.
[[nodiscard]] std::string decode_header_text(std::string_view value, defect_set& defects);

}  // namespace mailtriage::mime::detail
