#pragma once
// Plain-text URL extraction (private). Pure, thread-safe.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailtriage::mime::detail {

// Appends to `out` every http://, https:// and www. URL in `text`, trailing punctuation
// removed, each at most 2,048 bytes, until out.size() reaches `cap`; returns false when
// the cap cut the list short. Linear time.
bool extract_urls(std::string_view text, std::vector<std::string>& out, std::size_t cap);

}  // namespace mailtriage::mime::detail
