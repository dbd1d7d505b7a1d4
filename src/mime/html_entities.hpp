#pragma once
// Named character references for the HTML tokenizer (private). Pure, thread-safe.
#include <cstdint>
#include <string_view>

namespace mailtriage::mime::detail {

struct html_entity {
  std::string_view name;  // without '&' and ';', case-sensitive
  std::uint32_t code_point;
  bool legacy;            // also recognised without the ';' (Latin-1 and &amp; &lt; &gt; &quot;)
};

// The HTML 4 set (what mail HTML uses, and what libxml2 knew) plus &apos; and the few
// HTML5 names seen in mail (&ZeroWidthSpace;, &NewLine;, &Tab;, upper-case legacy forms).
// nullptr when `name` is none of them.
[[nodiscard]] const html_entity* find_html_entity(std::string_view name);

// The longest legacy entity name that `run` starts with (browsers decode "&copy2024"
// as "©2024"), or nullptr.
[[nodiscard]] const html_entity* find_legacy_entity_prefix(std::string_view run);

}  // namespace mailtriage::mime::detail
