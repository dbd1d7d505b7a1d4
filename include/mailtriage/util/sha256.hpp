#pragma once
// SHA-256 (OpenSSL EVP) as lower-case hex.
#include <string>
#include <string_view>

namespace mailtriage {

[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace mailtriage
