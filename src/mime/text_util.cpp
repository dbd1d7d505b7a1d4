#include "text_util.hpp"

namespace mailtriage::mime::detail {

void append_collapsed(std::string& out, std::string_view s) {
  bool space = out.empty() || is_space(out.back());
  for (char c : s) {
    if (is_space(c) || c == '\f' || c == '\v') {
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
}

}  // namespace mailtriage::mime::detail
