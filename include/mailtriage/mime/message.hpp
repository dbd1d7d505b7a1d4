#pragma once
// The normalised form of one e-mail message, as mime::parse() returns it.
// `message` owns all of its data (std::string copies, no views into the raw input), so
// it outlives the buffer it was parsed from. It is a plain value: not synchronised;
// concurrent const access is safe, mutation needs external locking.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailtriage/mime/defects.hpp"

namespace mailtriage::mime {

// One header field. Its texts live in an immutable buffer shared by all the fields of one
// header section (the parser copies the section once, and appends only the values that
// differ from a slice of their raw value: folded, encoded or 8-bit ones), so building a
// message costs one allocation per header section instead of two or three per field.
// The buffer is reference-counted and never changes once fields point into it: copies and
// moves of fields (and of the messages holding them) keep every view valid, and concurrent
// const access is safe. A view returned by an accessor is valid while some field sharing
// that buffer is alive.
class header_field {
 public:
  // Where the three texts lie in a shared buffer.
  struct layout {
    std::size_t name_offset = 0, name_size = 0;
    std::size_t raw_offset = 0, raw_size = 0;
    std::size_t value_offset = 0, value_size = 0;
  };

  header_field() = default;
  // A field with its own buffer (copies the texts).
  header_field(std::string_view name, std::string_view raw_value, std::string_view value);
  // A field whose texts lie in `buffer` at `at` (all ranges must be inside it).
  header_field(std::shared_ptr<const std::string> buffer, const layout& at);
  header_field(const header_field&) = default;
  header_field& operator=(const header_field&) = default;
  // A moved-from field is empty (not left pointing into a buffer it no longer holds).
  header_field(header_field&& other) noexcept
      : buffer_(std::move(other.buffer_)), base_(std::exchange(other.base_, "")), at_(std::exchange(other.at_, {})) {}
  header_field& operator=(header_field&& other) noexcept {
    buffer_ = std::move(other.buffer_);
    base_ = std::exchange(other.base_, "");
    at_ = std::exchange(other.at_, {});
    return *this;
  }
  ~header_field() = default;

  // As written (case preserved), without the colon.
  [[nodiscard]] std::string_view name() const { return {base_ + at_.name_offset, at_.name_size}; }
  // Bytes after the colon, folding CRLFs kept, trailing EOL removed.
  [[nodiscard]] std::string_view raw_value() const { return {base_ + at_.raw_offset, at_.raw_size}; }
  // Unfolded, trimmed, RFC 2047 decoded, UTF-8.
  [[nodiscard]] std::string_view value() const { return {base_ + at_.value_offset, at_.value_size}; }

 private:
  std::shared_ptr<const std::string> buffer_;
  const char* base_ = "";  // buffer_->data(): stable, since the buffer never changes
  layout at_;
};

// Case-insensitive header lookups over an ordered field list.
[[nodiscard]] const header_field* find_header(const std::vector<header_field>& headers,
                                              std::string_view name);
[[nodiscard]] std::vector<const header_field*> find_headers(const std::vector<header_field>& headers,
                                                            std::string_view name);

// Content type recognised from the first bytes of a decoded body.
enum class file_type : std::uint8_t {
  unknown, empty, text, pe, elf, macho, zip, docx, xlsx, pptx, docm, xlsm, pptm, jar, rar,
  seven_zip, gzip, bzip2, xz, cab, iso, pdf, ole2, rtf, html, png, jpeg, gif, bmp, tiff, webp,
  ico, svg, shell_script, lnk,
};
[[nodiscard]] std::string_view to_string(file_type t);
// True for types that can run code on open (PE, ELF, scripts, macro documents, LNK, ...).
[[nodiscard]] bool is_executable_like(file_type t);

enum class part_kind : std::uint8_t {
  multipart,   // a container: its children follow it in message::parts
  message,     // message/rfc822 container: its single child is the embedded message root
  text,        // text/plain (or text/* other than html) shown inline
  html,        // text/html shown inline
  attachment,  // anything else, or anything with Content-Disposition: attachment
};

struct part {
  int parent = -1;         // index into message::parts, -1 for the root
  std::uint32_t depth = 0; // 0 for the root
  part_kind kind = part_kind::text;
  std::string content_type = "text/plain";  // lower-case "type/subtype"
  std::vector<std::pair<std::string, std::string>> content_type_params;  // names lower-case, values decoded
  std::string charset;             // lower-case, "" when not declared
  std::string disposition;         // lower-case "inline" / "attachment" / ""
  std::string filename;            // from disposition filename or type name (RFC 2231/2047 decoded)
  std::string transfer_encoding;   // lower-case as declared, "" when absent
  std::vector<header_field> headers;  // this part's own header fields (root: empty, see message::headers)
  std::size_t raw_size = 0;        // bytes of the body as found in the message
  std::size_t decoded_size = 0;    // bytes after transfer decoding (before any limit cut: kept bytes)
  int text_index = -1;             // index into message::texts, or -1
  int attachment_index = -1;       // index into message::attachments, or -1
};

// Decoded text of one inline text or HTML part, in UTF-8.
struct text_block {
  std::size_t part_index = 0;
  bool from_html = false;
  std::string text;  // HTML: visible text only (no script/style/head), whitespace collapsed
};

struct link {
  std::string href;  // as written in the attribute, entity-decoded, trimmed
  std::string text;  // visible anchor text, whitespace collapsed (alt text of images inside)
  std::size_t part_index = 0;
};

struct html_stats {
  std::uint32_t forms = 0;
  std::uint32_t inputs = 0;          // input/select/textarea elements
  std::uint32_t password_inputs = 0;
  std::uint32_t scripts = 0;
  std::uint32_t images = 0;
  std::uint32_t iframes = 0;
  std::uint32_t hidden_elements = 0; // display:none, visibility:hidden, hidden attribute
  std::uint32_t tiny_text_elements = 0;  // font-size 0/1px, or white-on-white-like colour
  std::uint32_t links = 0;           // all <a href>, including those past limits::max_links
  std::uint32_t html_parts = 0;
};

struct attachment {
  std::size_t part_index = 0;
  std::string filename;       // "" when none was given
  std::string declared_type;  // content type of the part, lower-case
  file_type sniffed = file_type::unknown;
  std::size_t size = 0;       // decoded bytes kept (see truncated)
  bool truncated = false;     // a limit cut the body; the sniff saw the kept prefix only
  bool from_uuencode = false; // extracted from a uuencoded block in a text part
};

struct message {
  std::vector<header_field> headers;  // top-level header fields, in order
  std::vector<part> parts;            // MIME tree, pre-order; parts[0] is the root
  std::vector<text_block> texts;      // inline text and HTML parts, in order
  std::vector<link> links;            // <a href> links from HTML parts
  std::vector<std::string> urls;      // URLs found in plain-text parts
  std::vector<attachment> attachments;
  html_stats html;
  defect_set defects;
  std::size_t raw_size = 0;           // bytes given to parse()

  [[nodiscard]] const header_field* header(std::string_view name) const { return find_header(headers, name); }
  [[nodiscard]] std::vector<const header_field*> all_headers(std::string_view name) const {
    return find_headers(headers, name);
  }
  // Decoded value of the first field called `name`, or "" when absent.
  [[nodiscard]] std::string_view header_value(std::string_view name) const;
  // Plain-text parts joined with "\n" (HTML excluded).
  [[nodiscard]] std::string plain_text() const;
  // Visible text of HTML parts joined with "\n".
  [[nodiscard]] std::string html_text() const;
};

}  // namespace mailtriage::mime
