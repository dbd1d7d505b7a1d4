#pragma once
// File type sniffing from magic bytes and SHA-256 hashing (private). Pure, thread-safe.
#include <string>
#include <string_view>

#include "mailtriage/mime/message.hpp"

namespace mailtriage::mime::detail {

// Recognises the type from the leading bytes; for ZIP it also reads the central
// directory (bounded) to tell OOXML documents, macro-enabled ones and JARs apart.
[[nodiscard]] file_type sniff(std::string_view data);

// Lower-case hex SHA-256 of `data` (OpenSSL EVP).
[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace mailtriage::mime::detail
