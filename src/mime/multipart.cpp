#include "multipart.hpp"

#include <cstring>

#include "text_util.hpp"

namespace mailtriage::mime::detail {

multipart_split split_multipart(std::string_view body, std::string_view boundary, std::size_t max_parts,
                                bool& parts_capped) {
  multipart_split out;
  parts_capped = false;
  std::size_t part_start = std::string_view::npos;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const char* nl = static_cast<const char*>(std::memchr(body.data() + pos, '\n', body.size() - pos));
    std::size_t eol = nl ? static_cast<std::size_t>(nl - body.data()) : body.size();
    std::size_t next = nl ? eol + 1 : body.size();
    std::string_view line = body.substr(pos, eol - pos);
    if (line.size() >= boundary.size() + 2 && line[0] == '-' && line[1] == '-' &&
        line.substr(2, boundary.size()) == boundary) {
      std::string_view rest = line.substr(2 + boundary.size());
      bool close = rest.starts_with("--");
      if (close) rest.remove_prefix(2);
      if (trim(rest).empty()) {
        out.found_delimiter = true;
        if (part_start != std::string_view::npos) {
          std::size_t end = pos;  // drop the line break that precedes the delimiter
          if (end > part_start && body[end - 1] == '\n') --end;
          if (end > part_start && body[end - 1] == '\r') --end;
          if (out.parts.size() >= max_parts) {
            parts_capped = true;
            return out;
          }
          out.parts.push_back(body.substr(part_start, end - part_start));
        }
        if (close) {
          out.closed = true;
          return out;
        }
        part_start = next;
      }
    }
    pos = next;
  }
  if (part_start != std::string_view::npos && part_start <= body.size()) {
    if (out.parts.size() >= max_parts) parts_capped = true;
    else out.parts.push_back(body.substr(part_start));
  }
  return out;
}

}  // namespace mailtriage::mime::detail
