#pragma once
// A streaming HTML tokenizer (private): bytes in, tags and text out, one pass, no tree.
//
// Why our own and not libxml2's HTML parser: libxml2 does per-character work through
// several layers (xmlNextChar, input buffers, its own entity and encoding machinery) and
// was about 30% of the instructions of a whole verdict; mail needs only the parts of the
// WHATWG tokenizer that decide what a reader sees, which a single scan does at memchr-like
// speed. What is followed from the spec: tag and attribute syntax (names lower-cased,
// quoted/unquoted/valueless attributes, self-closing syntax), comments (unterminated ones
// run to the end), <!DOCTYPE>/<?..>/<![CDATA[..]]> as bogus comments, a '<' that starts no
// tag as text, raw text for script/style/xmp/iframe/noembed/noframes (ends only at the
// matching end tag, case-insensitive), escapable raw text for title/textarea, plaintext,
// and character references (numeric with the spec's replacements, named from the HTML 4
// set plus a few HTML5 names, the legacy ones also without ';').
//
// Time is linear in the input and memory bounded by it: every construct is found with
// forward scans that never revisit bytes, and at most max_attributes attributes are kept
// per tag (the rest are parsed and dropped; so are those a consumer's filter rejects).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailtriage::mime::detail {

struct html_attribute {
  std::string_view name;   // lower-case
  std::string_view value;  // character references decoded; "" when valueless
};

enum class html_token_kind : std::uint8_t { text, start_tag, end_tag, end_of_input };

struct html_token {
  html_token_kind kind = html_token_kind::end_of_input;
  std::string_view name;  // start/end tag: lower-case
  std::string_view text;  // text: character references decoded (not in raw text), NULs dropped
  bool raw = false;       // text: contents of a raw-text element (script, style, ...)
  bool self_closing = false;
  std::span<const html_attribute> attributes;  // start tag, in order, duplicates kept
};

class html_tokenizer {
 public:
  // Attributes kept per tag; real mail uses a handful, hostile input may use millions.
  static constexpr std::size_t max_attributes = 64;

  // Which attributes (by lower-case name) a consumer reads; the others are parsed but
  // neither decoded nor kept. They still count towards max_attributes, so the filter
  // changes nothing about the attributes that are kept.
  using attribute_filter = bool (*)(std::string_view name);

  // `input` must outlive the tokenizer and the tokens it returns. Without a filter
  // every attribute is kept.
  explicit html_tokenizer(std::string_view input, attribute_filter wanted = nullptr) : in_(input), wanted_(wanted) {}

  // The next token. Its views stay valid until the next call. After end_of_input every
  // call returns end_of_input again.
  const html_token& next();

 private:
  // Where a view's bytes live: in the input, or in arena_ (which may still grow while a
  // tag is being read, so views into it are made only once the tag is complete).
  struct piece {
    bool in_arena;
    std::size_t offset;
    std::size_t size;
  };
  struct pending_attribute {
    piece name;
    piece value;
  };

  enum class markup : std::uint8_t { none, token, skipped };

  [[nodiscard]] bool starts_markup(std::size_t p) const;
  markup read_markup();
  void read_text();
  void read_raw_text();
  bool read_tag(bool end_tag);
  // in_[begin, end) as a name: a view of the input, or when `needs_copy` (it holds A-Z
  // or NUL) a lower-cased copy in arena_.
  piece lower_name(std::size_t begin, std::size_t end, bool needs_copy);
  piece attribute_value(std::size_t begin, std::size_t end);
  std::size_t skip_to_gt(std::size_t p) const;
  [[nodiscard]] std::string_view view(const piece& p) const;

  std::string_view in_;
  attribute_filter wanted_;
  std::size_t pos_ = 0;
  std::string_view raw_end_;  // lower-case element name while inside its raw text
  bool raw_escapable_ = false;  // title/textarea: character references are decoded
  bool plaintext_ = false;      // after <plaintext>: everything is raw text
  html_token tok_;
  std::string arena_;
  std::vector<pending_attribute> pending_;
  std::vector<html_attribute> attributes_;
};

// Appends the character reference at text[pos] (text[pos] == '&') decoded as UTF-8 to
// `out` and returns the position after it; when there is none, appends "&" and returns
// pos + 1. `in_attribute` applies the spec's rule for legacy names without ';' in
// attribute values ("?a=1&copy=2" stays as written). Exposed for tests.
std::size_t decode_character_reference(std::string_view text, std::size_t pos, bool in_attribute,
                                       std::string& out);

}  // namespace mailtriage::mime::detail
