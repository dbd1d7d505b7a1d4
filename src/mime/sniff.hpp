#pragma once
// File type sniffing from magic bytes (private). Pure, thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

#include "mailtriage/mime/message.hpp"

namespace mailtriage::mime::detail {

// How much of a file's start sniff() reads (the ISO 9660 signature ends at 0x8006), for
// every type but ZIP, whose central directory sits at the end of the file.
inline constexpr std::size_t sniff_head_bytes = 0x8006;
// Whether sniff() needs the whole file rather than its head: a ZIP archive.
[[nodiscard]] bool sniff_reads_whole(std::string_view head);

// Recognises the type from the leading bytes; for ZIP it also reads the central
// directory (bounded) to tell OOXML documents, macro-enabled ones and JARs apart.
// `data` is the whole file, or at least its first sniff_head_bytes when
// !sniff_reads_whole(data); `size` is the whole file's size.
[[nodiscard]] file_type sniff(std::string_view data, std::size_t size);

}  // namespace mailtriage::mime::detail
