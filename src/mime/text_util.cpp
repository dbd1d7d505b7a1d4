#include "text_util.hpp"

namespace mailtriage::mime::detail {

void append_collapsed(std::string& out, std::string_view s) {
  auto blank = [](char c) { return is_space(c) || c == '\f' || c == '\v'; };
  bool space = out.empty() || is_space(out.back());
  std::size_t i = 0;
  while (i < s.size()) {
    if (blank(s[i])) {
      if (!space) out.push_back(' ');
      space = true;
      ++i;
      continue;
    }
    // A run of visible text is appended whole.
    std::size_t end = i + 1;
    while (end < s.size() && !blank(s[end])) ++end;
    out.append(s.data() + i, end - i);
    space = false;
    i = end;
  }
}

}  // namespace mailtriage::mime::detail
