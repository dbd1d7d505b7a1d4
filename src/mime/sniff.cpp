#include "sniff.hpp"

#include <cstdint>

#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

bool starts(std::string_view d, std::string_view magic) { return d.starts_with(magic); }

std::uint32_t le16(std::string_view d, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(d[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[at + 1])) << 8;
}
std::uint32_t le32(std::string_view d, std::size_t at) { return le16(d, at) | le16(d, at + 2) << 16; }

struct zip_flags {
  bool word = false, xl = false, ppt = false, vba = false, jar = false, content_types = false;
  void see(std::string_view name) {
    if (name.starts_with("word/")) word = true;
    if (name.starts_with("xl/")) xl = true;
    if (name.starts_with("ppt/")) ppt = true;
    if (name.ends_with("vbaProject.bin")) vba = true;
    if (name == "META-INF/MANIFEST.MF" || name.ends_with(".class")) jar = true;
    if (name == "[Content_Types].xml") content_types = true;
  }
  file_type result() const {
    if (word) return vba ? file_type::docm : file_type::docx;
    if (xl) return vba ? file_type::xlsm : file_type::xlsx;
    if (ppt) return vba ? file_type::pptm : file_type::pptx;
    if (jar) return file_type::jar;
    return file_type::zip;
  }
};

constexpr std::size_t max_zip_entries = 10000;

// Walks the central directory when the end record is present, else the local headers.
file_type sniff_zip(std::string_view d) {
  zip_flags flags;
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes.
  std::size_t lowest = d.size() > 22 + 65535 ? d.size() - 22 - 65535 : 0;
  for (std::size_t at = d.size() >= 22 ? d.size() - 22 + 1 : 0; at-- > lowest;) {
    if (d.compare(at, 4, "PK\x05\x06") != 0) continue;
    std::size_t entries = le16(d, at + 10);
    std::size_t cd = le32(d, at + 16);
    for (std::size_t i = 0; i < entries && i < max_zip_entries; ++i) {
      if (cd + 46 > d.size() || d.compare(cd, 4, "PK\x01\x02") != 0) break;
      std::size_t name_len = le16(d, cd + 28);
      std::size_t extra = le16(d, cd + 30);
      std::size_t comment = le16(d, cd + 32);
      if (cd + 46 + name_len > d.size()) break;
      flags.see(d.substr(cd + 46, name_len));
      cd += 46 + name_len + extra + comment;
    }
    return flags.result();
  }
  std::size_t at = 0;
  for (std::size_t i = 0; i < max_zip_entries; ++i) {
    if (at + 30 > d.size() || d.compare(at, 4, "PK\x03\x04") != 0) break;
    std::size_t size = le32(d, at + 18);
    std::size_t name_len = le16(d, at + 26);
    std::size_t extra = le16(d, at + 28);
    if (at + 30 + name_len > d.size()) break;
    flags.see(d.substr(at + 30, name_len));
    if ((le16(d, at + 6) & 0x8u) != 0) break;  // sizes in a data descriptor: cannot skip
    at += 30 + name_len + extra + size;
  }
  return flags.result();
}

bool looks_html(std::string_view head) {
  std::string_view t = head;
  if (t.starts_with("\xEF\xBB\xBF")) t.remove_prefix(3);
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  for (std::string_view tag : {"<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta",
                               "<form", "<!--", "<div", "<table", "<p>", "<a "})
    if (istarts_with(t, tag)) return true;
  return false;
}

}  // namespace

bool sniff_reads_whole(std::string_view head) { return starts(head, "PK\x03\x04") || starts(head, "PK\x05\x06"); }

file_type sniff(std::string_view d, std::size_t size) {
  if (size == 0) return file_type::empty;
  if (starts(d, "MZ")) return file_type::pe;
  if (starts(d, "\x7F" "ELF")) return file_type::elf;
  if (starts(d, "\xCE\xFA\xED\xFE") || starts(d, "\xCF\xFA\xED\xFE") || starts(d, "\xFE\xED\xFA\xCE") ||
      starts(d, "\xFE\xED\xFA\xCF"))
    return file_type::macho;
  if (sniff_reads_whole(d)) return sniff_zip(d);
  if (starts(d, "Rar!\x1A\x07")) return file_type::rar;
  if (starts(d, "7z\xBC\xAF\x27\x1C")) return file_type::seven_zip;
  if (starts(d, "\x1F\x8B")) return file_type::gzip;
  if (starts(d, "BZh")) return file_type::bzip2;
  if (starts(d, std::string_view("\xFD" "7zXZ\0", 6))) return file_type::xz;
  if (starts(d, "MSCF")) return file_type::cab;
  if (starts(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return file_type::ole2;
  if (starts(d, "{\\rtf")) return file_type::rtf;
  if (starts(d, "\x89PNG")) return file_type::png;
  if (starts(d, "\xFF\xD8\xFF")) return file_type::jpeg;
  if (starts(d, "GIF87a") || starts(d, "GIF89a")) return file_type::gif;
  if (starts(d, std::string_view("II*\0", 4)) || starts(d, std::string_view("MM\0*", 4))) return file_type::tiff;
  if (d.size() >= 12 && starts(d, "RIFF") && d.substr(8, 4) == "WEBP") return file_type::webp;
  if (starts(d, std::string_view("L\0\0\0\x01\x14\x02\0", 8))) return file_type::lnk;
  if (starts(d, std::string_view("\0\0\1\0", 4))) return file_type::ico;
  if (starts(d, "#!")) return file_type::shell_script;
  std::string_view head = d.substr(0, 1024);
  if (head.find("%PDF-") != std::string_view::npos) return file_type::pdf;  // readers accept a prefix
  if (size > 0x8006 && d.size() >= 0x8006 && d.substr(0x8001, 5) == "CD001") return file_type::iso;
  if (starts(d, "BM") && size > 14 && d.size() >= 6 && le32(d, 2) == size) return file_type::bmp;
  if (looks_html(head)) return file_type::html;
  if (head.find("<svg") != std::string_view::npos) return file_type::svg;
  if (head.find('\0') == std::string_view::npos) return file_type::text;
  return file_type::unknown;
}

}  // namespace mailtriage::mime::detail
