#pragma once
// File type sniffing from magic bytes (private). Pure, thread-safe.
#include <string>
#include <string_view>

#include "mailtriage/mime/message.hpp"

namespace mailtriage::mime::detail {

// Recognises the type from the leading bytes; for ZIP it also reads the central
// directory (bounded) to tell OOXML documents, macro-enabled ones and JARs apart.
[[nodiscard]] file_type sniff(std::string_view data);

}  // namespace mailtriage::mime::detail
