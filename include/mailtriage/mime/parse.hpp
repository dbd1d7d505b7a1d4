#pragma once
// Entry point of the mime component: raw RFC 5322 bytes in, normalised message out.
//
// Parser choice: a bounded parser of our own over std::string_view (see src/mime/entity.cpp)
// rather than mimetic's MimeEntity, which copies every line into std::strings, has no
// depth/part/byte limits and recurses without bound on nested multiparts. The transfer
// decoders are our own too (src/mime/transfer.cpp), so mimetic is not used at all; Base64
// keeps the decoding rules of mimetic's decoder, which it replaced.
#include <string_view>

#include "mailtriage/mime/limits.hpp"
#include "mailtriage/mime/message.hpp"

namespace mailtriage::mime {

// Parses `raw` (CRLF or LF line endings). Never throws (std::bad_alloc aside, which is
// also caught: the message parsed so far is returned with defect::truncated); every
// malformation becomes a defect flag on a best-effort result. Time and memory are linear
// in raw.size() times at most limits::max_depth, plus the bounded per-part work.
// Thread-safe: no shared mutable state (charset converters are cached per thread).
[[nodiscard]] message parse(std::string_view raw, const limits& lim = {});

}  // namespace mailtriage::mime
