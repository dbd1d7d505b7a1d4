#include "header_section.hpp"

#include <cstring>
#include <memory>

#include "rfc2047.hpp"
#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

// Offset just past the first empty line at or after `pos` (a line start), or s.size().
std::size_t skip_to_body(std::string_view s, std::size_t pos) {
  while (pos < s.size()) {
    if (s[pos] == '\n') return pos + 1;
    if (s[pos] == '\r' && pos + 1 < s.size() && s[pos + 1] == '\n') return pos + 2;
    const char* nl = static_cast<const char*>(std::memchr(s.data() + pos, '\n', s.size() - pos));
    if (!nl) return s.size();
    pos = static_cast<std::size_t>(nl - s.data()) + 1;
  }
  return s.size();
}

// Where one field lies in the entity: name in [name_begin, colon), value up to `end`
// (the EOL of its last line).
struct field_span {
  std::size_t name_begin, colon, end;
};

// Lays out one field over a copy of the section that starts at entity[base]: name and
// raw value are slices of it, and so is the value when it is the trimmed raw value (most
// fields); other values are appended to `extra`, their offsets relative to it.
struct field_layout {
  header_field::layout at;
  bool value_in_extra = false;
};

field_layout make_field(std::string_view entity, std::size_t base, const field_span& span, std::string& extra,
                        defect_set& defects) {
  std::string_view name = entity.substr(span.name_begin, span.colon - span.name_begin);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string_view raw = entity.substr(span.colon + 1, span.end - span.colon - 1);
  if (name.empty()) defects.set(defect::bad_header);
  const bool eight_bit_value = has_eight_bit(raw);
  if (eight_bit_value || has_eight_bit(name)) defects.set(defect::eight_bit_header);
  field_layout f;
  f.at.name_offset = span.name_begin - base;
  f.at.name_size = name.size();
  f.at.raw_offset = span.colon + 1 - base;
  f.at.raw_size = raw.size();
  // Unfolding is trimming and then dropping every CR and LF: a trimmed value without
  // either is its own unfolded form, a slice of the raw value.
  const std::string_view trimmed = trim(raw);
  const bool folded =
      std::memchr(trimmed.data(), '\n', trimmed.size()) || std::memchr(trimmed.data(), '\r', trimmed.size());
  if (!folded) {
    // Most values hold neither encoded-words nor 8-bit bytes: they decode to themselves.
    if (!eight_bit_value && trimmed.find("=?") == std::string_view::npos) {
      f.at.value_offset = static_cast<std::size_t>(trimmed.data() - entity.data()) - base;
      f.at.value_size = trimmed.size();
      return f;
    }
    f.value_in_extra = true;
    f.at.value_offset = extra.size();
    extra.append(decode_header_text(trimmed, defects));
    f.at.value_size = extra.size() - f.at.value_offset;
    return f;
  }
  // Folded: unfolded straight into `extra`, where it stays unless it needs decoding.
  f.value_in_extra = true;
  f.at.value_offset = extra.size();
  unfold_into(extra, raw);
  const std::string_view unfolded = std::string_view(extra).substr(f.at.value_offset);
  if (eight_bit_value || unfolded.find("=?") != std::string_view::npos) {
    const std::string text(unfolded);  // `extra` is appended to below
    extra.resize(f.at.value_offset);
    extra.append(decode_header_text(text, defects));
  }
  f.at.value_size = extra.size() - f.at.value_offset;
  return f;
}

}  // namespace

std::string unfold(std::string_view raw) {
  std::string out;
  unfold_into(out, raw);
  return out;
}

void unfold_into(std::string& out, std::string_view raw) {
  // Trimming first gives the same result (trim drops CR and LF as well) and copies less;
  // the text between line breaks is then appended a line at a time.
  std::string_view s = trim(raw);
  out.reserve(out.size() + s.size());
  while (!s.empty()) {
    const void* nl = std::memchr(s.data(), '\n', s.size());
    std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - s.data()) : s.size();
    std::string_view line = s.substr(0, len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF, as the milter delivers it
    if (line.find('\r') == std::string_view::npos) {
      out.append(line);
    } else {
      for (char c : line)
        if (c != '\r') out.push_back(c);
    }
    s.remove_prefix(nl ? len + 1 : len);
  }
}

namespace {

// Finds the fields of the header section (at most `headers_left` kept) and returns the
// body offset.
std::size_t locate_fields(std::string_view entity, const limits& lim, std::uint32_t& headers_left,
                          defect_set& defects, std::vector<field_span>& spans) {
  const std::size_t limit = std::min(entity.size(), lim.max_header_bytes);
  std::size_t pos = 0;
  // Current field: [name_begin, colon) name, value up to field_end (EOL of last line).
  bool in_field = false;
  std::size_t name_begin = 0, colon = 0, field_end = 0;
  bool first_line = true;
  auto close_field = [&] {
    if (!in_field) return;
    in_field = false;
    if (headers_left == 0) {
      defects.set(defect::header_limit);
      return;
    }
    --headers_left;
    spans.push_back({name_begin, colon, field_end});
  };
  while (pos < entity.size()) {
    if (pos >= limit) {
      close_field();
      defects.set(defect::header_size_limit);
      return skip_to_body(entity, pos);
    }
    const char* nl = static_cast<const char*>(std::memchr(entity.data() + pos, '\n', entity.size() - pos));
    std::size_t eol = nl ? static_cast<std::size_t>(nl - entity.data()) : entity.size();
    std::size_t next = nl ? eol + 1 : entity.size();
    std::size_t line_end = (eol > pos && entity[eol - 1] == '\r') ? eol - 1 : eol;
    if (line_end == pos) {  // empty line: end of the header section
      close_field();
      return next;
    }
    char c0 = entity[pos];
    if (is_wsp(c0)) {
      if (in_field) field_end = line_end;
      else defects.set(defect::bad_header);
    } else {
      close_field();
      std::string_view line = entity.substr(pos, line_end - pos);
      std::size_t c = line.find(':');
      if (first_line && line.starts_with("From ")) {
        // mbox separator line: not a header field
      } else if (c == std::string_view::npos) {
        // Not a field: the body started without its empty line (or, on the first line,
        // there is no header section at all).
        defects.set(defect::bad_header);
        return pos;
      } else {
        in_field = true;
        name_begin = pos;
        colon = pos + c;
        field_end = line_end;
      }
    }
    first_line = false;
    if (!nl) {
      close_field();
      return entity.size();
    }
    pos = next;
  }
  close_field();
  return entity.size();
}

}  // namespace

header_section parse_header_section(std::string_view entity, const limits& lim, std::uint32_t& headers_left,
                                    defect_set& defects) {
  // Fields are located first and built afterwards, so that the vector of header_field is
  // allocated once, and all the fields share one buffer: the section's bytes from the
  // first field to the end of the last, followed by the values that are not slices of it.
  std::vector<field_span> spans;
  spans.reserve(32);
  header_section out;
  out.body_offset = locate_fields(entity, lim, headers_left, defects, spans);
  if (spans.empty()) return out;
  const std::size_t base = spans.front().name_begin;
  const std::string_view section = entity.substr(base, spans.back().end - base);
  std::vector<field_layout> layouts;
  layouts.reserve(spans.size());
  std::string extra;
  for (const field_span& span : spans) layouts.push_back(make_field(entity, base, span, extra, defects));
  std::string text;
  text.reserve(section.size() + extra.size());
  text.append(section).append(extra);
  const auto buffer = std::make_shared<const std::string>(std::move(text));
  out.fields.reserve(layouts.size());
  for (field_layout& f : layouts) {
    if (f.value_in_extra) f.at.value_offset += section.size();
    out.fields.emplace_back(buffer, f.at);
  }
  return out;
}

}  // namespace mailtriage::mime::detail
