#pragma once
// HTML to visible text, links and counts, with libxml2's SAX HTML parser (private).
// Thread-safe: each call owns its parser context.
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

// Parses `html` (UTF-8) as a stream of events (no tree, no recursion of ours, state
// tracked to a fixed depth, so deep nesting costs neither stack nor quadratic time). Text under script/style/head/template and under hidden
// elements is left out of `text`.
[[nodiscard]] html_extract extract_html(std::string_view html, std::size_t max_links);

}  // namespace mailtriage::mime::detail
