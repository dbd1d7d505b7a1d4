#include "mailtriage/mime/message.hpp"

#include "text_util.hpp"

namespace mailtriage::mime {

using detail::iequals;

header_field::header_field(std::string_view name, std::string_view raw_value, std::string_view value) {
  std::string text;
  text.reserve(name.size() + raw_value.size() + value.size());
  text.append(name).append(raw_value).append(value);
  const std::size_t n = name.size(), r = raw_value.size();
  *this = header_field(std::make_shared<const std::string>(std::move(text)),
                       layout{0, n, n, r, n + r, value.size()});
}

header_field::header_field(std::shared_ptr<const std::string> buffer, const layout& at)
    : buffer_(std::move(buffer)), base_(buffer_->data()), at_(at) {}

const header_field* find_header(const std::vector<header_field>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (iequals(h.name(), name)) return &h;
  return nullptr;
}

std::vector<const header_field*> find_headers(const std::vector<header_field>& headers, std::string_view name) {
  std::vector<const header_field*> out;
  for (const auto& h : headers)
    if (iequals(h.name(), name)) out.push_back(&h);
  return out;
}

std::string_view message::header_value(std::string_view name) const {
  const header_field* h = header(name);
  return h ? h->value() : std::string_view();
}

namespace {
std::string join_texts(const std::vector<text_block>& texts, bool html) {
  std::string out;
  for (const auto& t : texts) {
    if (t.from_html != html) continue;
    if (!out.empty()) out.push_back('\n');
    out += t.text;
  }
  return out;
}
}  // namespace

std::string message::plain_text() const { return join_texts(texts, false); }
std::string message::html_text() const { return join_texts(texts, true); }

std::string_view to_string(defect d) {
  static constexpr std::string_view names[] = {
      "missing_boundary", "missing_closing_boundary", "bad_base64", "bad_qp", "bad_uuencode",
      "eight_bit_header", "nul_byte", "truncated", "bad_charset", "bad_encoded_word", "bad_header",
      "unknown_transfer_encoding", "depth_limit", "part_limit", "decoded_bytes_limit", "header_limit",
      "header_size_limit", "html_limit", "url_limit", "missing_headers", "duplicate_critical_header",
      "bare_cr_or_lf_mix", "uuencoded_content"};
  static_assert(std::size(names) == defect_count);
  auto i = static_cast<std::size_t>(d);
  return i < std::size(names) ? names[i] : "unknown";
}

int defect_set::count() const { return __builtin_popcountll(bits_); }

std::string defect_set::to_string() const {
  std::string out;
  for (int i = 0; i < defect_count; ++i) {
    auto d = static_cast<defect>(i);
    if (!has(d)) continue;
    if (!out.empty()) out.push_back(',');
    out += mime::to_string(d);
  }
  return out;
}

std::string_view to_string(file_type t) {
  static constexpr std::string_view names[] = {
      "unknown", "empty", "text", "pe", "elf", "macho", "zip", "docx", "xlsx", "pptx", "docm", "xlsm", "pptm",
      "jar", "rar", "7z", "gzip", "bzip2", "xz", "cab", "iso", "pdf", "ole2", "rtf", "html", "png", "jpeg",
      "gif", "bmp", "tiff", "webp", "ico", "svg", "shell_script", "lnk"};
  static_assert(std::size(names) == static_cast<std::size_t>(file_type::lnk) + 1);
  auto i = static_cast<std::size_t>(t);
  return i < std::size(names) ? names[i] : "unknown";
}

bool is_executable_like(file_type t) {
  switch (t) {
    case file_type::pe: case file_type::elf: case file_type::macho: case file_type::jar: case file_type::docm:
    case file_type::xlsm: case file_type::pptm: case file_type::shell_script: case file_type::lnk:
      return true;
    default:
      return false;
  }
}

}  // namespace mailtriage::mime
