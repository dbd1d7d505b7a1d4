#pragma once
// Reads a shared secret (HMAC verdict key, log pseudonym key) from a file: the whole
// file, trailing line breaks removed so `openssl rand -hex 32 > key` works as is.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailtriage {

// Throws std::runtime_error naming the file and `what` when it cannot be read or is
// shorter than `minimum_bytes` (a short key makes the HMAC guessable).
[[nodiscard]] std::string read_secret_file(const std::string& path, std::string_view what,
                                           std::size_t minimum_bytes = 16);

}  // namespace mailtriage
