#pragma once
// HTML to visible text, links and counts, with gumbo-parser (private). Thread-safe: each
// call owns its gumbo output.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/mime/message.hpp"

namespace mailtriage::mime::detail {

struct html_extract {
  std::string text;           // visible text, whitespace collapsed, block breaks as "\n"
  std::vector<link> links;    // part_index left 0: the caller sets it
  html_stats stats;           // html_parts left 0
  bool links_capped = false;  // more than max_links anchors
};

// Parses `html` (UTF-8) and walks the tree iteratively (no recursion, so deep nesting
// cannot exhaust the stack). Text under script/style/head/template and under hidden
// elements is left out of `text`.
[[nodiscard]] html_extract extract_html(std::string_view html, std::size_t max_links);

}  // namespace mailtriage::mime::detail
