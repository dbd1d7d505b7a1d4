#include "urls.hpp"

#include <cstdint>
#include <cstring>

#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

constexpr std::size_t max_url = 2048;

bool url_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7F) return false;
  switch (c) {
    case '<': case '>': case '"': case '\'': case '`': case '{': case '}': case '|': case '\\': case '^':
      return false;
    default:
      return true;
  }
}

bool word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/' ||
         c == '@' || c == '-' || u >= 0x80;
}

}  // namespace

bool extract_urls(std::string_view text, std::vector<std::string>& out, std::size_t cap) {
  std::size_t i = 0;
  while (i < text.size()) {
    // Only 'h' (http, https) and 'w' (www.) start a URL: skip everything else eight bytes
    // at a time (| 0x20 folds exactly 'H' onto 'h' and 'W' onto 'w'), then byte by byte.
    for (; i + 8 <= text.size(); i += 8) {
      const std::uint64_t w = load_u64(text.data() + i) | 0x2020202020202020ULL;
      if (bytes_equal(w, 'h') | bytes_equal(w, 'w')) break;
    }
    while (i < text.size() && (text[i] | 0x20) != 'h' && (text[i] | 0x20) != 'w') ++i;
    if (i == text.size()) break;
    char c = ascii_lower(text[i]);
    std::size_t prefix = 0;
    if (c == 'h') {
      std::string_view rest = text.substr(i, 8);
      if (istarts_with(rest, "http://")) prefix = 7;
      else if (istarts_with(rest, "https://")) prefix = 8;
    } else if (c == 'w' && (i == 0 || !word_char(text[i - 1])) && istarts_with(text.substr(i, 4), "www.")) {
      prefix = 4;
    }
    if (prefix == 0) {
      ++i;
      continue;
    }
    std::size_t end = i + prefix;
    while (end < text.size() && url_char(text[end])) ++end;
    std::size_t stop = end;
    while (stop > i + prefix && std::string_view(".,;:!?)]*").find(text[stop - 1]) != std::string_view::npos)
      --stop;
    if (stop > i + prefix) {
      if (out.size() >= cap) return false;
      out.emplace_back(text.substr(i, std::min(stop - i, max_url)));
    }
    i = end;
  }
  return true;
}

}  // namespace mailtriage::mime::detail
