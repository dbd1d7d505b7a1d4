// Groups "structure" and "defects": sizes, MIME tree shape, attachment kinds, defect flags.
#include <algorithm>
#include <array>
#include <cmath>

#include "domains.hpp"
#include "groups.hpp"

namespace mailtriage::features::detail {
namespace {

using mime::file_type;

float log2p1(double v) { return static_cast<float>(std::log2(1.0 + v)); }

bool in(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

const std::initializer_list<std::string_view> kExecExt = {
    "exe", "scr", "com", "bat", "cmd", "pif", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "msi", "jar",
    "ps1", "lnk", "cpl", "reg", "dll", "apk", "app", "dmg", "sh", "msc", "gadget", "iqy", "one", "url", "xll"};
const std::initializer_list<std::string_view> kArchiveExt = {"zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "cab",
                                                             "iso", "img", "ace", "arj", "z", "lzh", "tar", "vhd"};
const std::initializer_list<std::string_view> kMacroExt = {"docm", "xlsm", "pptm", "xlsb", "dotm", "xltm", "xlam", "ppam"};
const std::initializer_list<std::string_view> kOleExt = {"doc", "xls", "ppt", "dot", "xlt"};
const std::initializer_list<std::string_view> kHtmlExt = {"htm", "html", "shtml", "xhtml", "svg", "mht", "mhtml"};
const std::initializer_list<std::string_view> kImageExt = {"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "ico"};
const std::initializer_list<std::string_view> kDocExt = {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf",
                                                         "jpg", "jpeg", "png", "gif", "csv", "odt"};

bool is_image(file_type t) {
  return t == file_type::png || t == file_type::jpeg || t == file_type::gif || t == file_type::bmp ||
         t == file_type::tiff || t == file_type::webp || t == file_type::ico;
}
bool is_archive(file_type t) {
  return t == file_type::zip || t == file_type::rar || t == file_type::seven_zip || t == file_type::gzip ||
         t == file_type::bzip2 || t == file_type::xz || t == file_type::cab || t == file_type::iso;
}

// Last and second-to-last extensions of a file name, lower-case ASCII, trailing junk removed.
void extensions(std::string_view name, std::string& last, std::string& prev) {
  last.clear();
  prev.clear();
  name = trim(name);
  while (!name.empty() && (name.back() == '.' || name.back() == ' ' || name.back() == '"')) name.remove_suffix(1);
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || name.size() - dot - 1 > 10) return;
  last = to_lower(name.substr(dot + 1));
  std::string_view head = trim(name.substr(0, dot));
  std::size_t dot2 = head.rfind('.');
  if (dot2 != std::string_view::npos && head.size() - dot2 - 1 <= 5) prev = to_lower(head.substr(dot2 + 1));
}

}  // namespace

void add_structure_features(const mime::message& msg, vector_builder& b) {
  // Body bytes only: the header section grows with every relay and filter on the way
  // (Exchange Online adds kilobytes), which says nothing about the sender.
  std::size_t header_bytes = 0;
  for (const auto& h : msg.headers) header_bytes += h.name().size() + h.raw_value().size() + 2;
  std::size_t body_bytes = msg.raw_size > header_bytes + 1 ? msg.raw_size - header_bytes - 1 : 0;
  b.set(dense::st_body_size_log, log2p1(static_cast<double>(body_bytes)));
  b.set_count(dense::st_parts, msg.parts.size());
  std::uint32_t depth = 0;
  std::size_t text_parts = 0, html_parts = 0, embedded = 0;
  bool alternative = false;
  for (const auto& p : msg.parts) {
    depth = std::max(depth, p.depth);
    if (p.kind == mime::part_kind::text) ++text_parts;
    else if (p.kind == mime::part_kind::html) ++html_parts;
    else if (p.kind == mime::part_kind::message) ++embedded;
    if (p.content_type == "multipart/alternative") alternative = true;
    b.token("ctype", p.content_type.size() <= 80 ? std::string_view(p.content_type) : std::string_view("<long>"));
  }
  b.set_count(dense::st_depth, depth);
  b.set_count(dense::st_text_parts, text_parts);
  b.set_count(dense::st_html_parts, html_parts);
  b.set(dense::st_html_only, html_parts > 0 && text_parts == 0);
  std::size_t plain_chars = 0, html_chars = 0;
  for (const auto& t : msg.texts) (t.from_html ? html_chars : plain_chars) += t.text.size();
  if (plain_chars + html_chars > 0)
    b.set(dense::st_text_html_ratio, static_cast<float>(static_cast<double>(plain_chars) /
                                                        static_cast<double>(plain_chars + html_chars)));
  b.set(dense::st_alternative, alternative);
  b.set_count(dense::st_embedded_messages, embedded);
  b.set_count(dense::st_attachments, msg.attachments.size());
  std::size_t exec = 0, archive = 0, macro = 0, pdf = 0, html = 0, image = 0, dbl = 0, mismatch = 0, bytes = 0;
  std::string last, prev;
  for (const auto& a : msg.attachments) {
    bytes += a.size;
    extensions(a.filename, last, prev);
    file_type t = a.sniffed;
    bool ext_exec = in(last, kExecExt);
    bool is_exec = mime::is_executable_like(t) || ext_exec;
    exec += is_exec;
    archive += is_archive(t) || in(last, kArchiveExt);
    macro += t == file_type::docm || t == file_type::xlsm || t == file_type::pptm || in(last, kMacroExt) ||
             (t == file_type::ole2 && in(last, kOleExt));
    pdf += t == file_type::pdf || last == "pdf";
    html += t == file_type::html || t == file_type::svg || in(last, kHtmlExt) || a.declared_type == "text/html";
    image += is_image(t) || in(last, kImageExt) || a.declared_type.rfind("image/", 0) == 0;
    dbl += !prev.empty() && in(prev, kDocExt) && (ext_exec || in(last, kArchiveExt) || in(last, kHtmlExt));
    bool mis = (mime::is_executable_like(t) && !ext_exec && !last.empty()) ||
               (last == "pdf" && t != file_type::pdf && t != file_type::unknown && t != file_type::empty) ||
               (in(last, kImageExt) && !is_image(t) && t != file_type::unknown && t != file_type::empty);
    mismatch += mis;
    if (!last.empty()) b.token("att_ext", last);
    b.token("att_type", mime::to_string(t));
  }
  b.set_count(dense::st_att_executable, exec);
  b.set_count(dense::st_att_archive, archive);
  b.set_count(dense::st_att_macro_office, macro);
  b.set_count(dense::st_att_pdf, pdf);
  b.set_count(dense::st_att_html, html);
  b.set_count(dense::st_att_image, image);
  b.set_count(dense::st_att_double_ext, dbl);
  b.set_count(dense::st_att_type_mismatch, mismatch);
  b.set(dense::st_att_size_log, log2p1(static_cast<double>(bytes)));
  // Defects: one column per flag, in enum order right after def_count.
  b.set_count(dense::def_count, static_cast<std::size_t>(msg.defects.count()));
  static_assert(static_cast<unsigned>(dense::def_uuencoded_content) - static_cast<unsigned>(dense::def_missing_boundary) + 1 ==
                    static_cast<unsigned>(mime::defect_count),
                "one defect column per mime::defect");
  for (int i = 0; i < mime::defect_count; ++i) {
    auto d = static_cast<mime::defect>(i);
    b.set(static_cast<dense>(static_cast<unsigned>(dense::def_missing_boundary) + static_cast<unsigned>(i)), msg.defects.has(d));
  }
}

}  // namespace mailtriage::features::detail
