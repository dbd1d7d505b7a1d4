// HTML → visible text, links and counts: html_tokenizer's tokens, a tree builder that
// keeps only the stack of open elements (with the implied ends that change what is
// visible or linked), and a walker that turns element starts, ends and text into the
// extract. No tree is built and nothing recurses, so deep nesting costs neither stack
// nor quadratic time.
//
// The implied ends follow libxml2's HTML parser, which this replaced (the model was
// trained on its output), where that is also what browsers do or close to it: the
// HTML 4 "start tag closes the current element" table (a new <p> or block closes an
// open <p>, <li> closes <li>, <td> closes <td>, ...), end tags that close back to the
// nearest open element of their name unless a block with a higher rank is in the way
// (</span> does not close a <div>, </div> does not close a <td>), implied html/head/
// body. Where browsers differ and it matters for mail, browsers win: raw text ends
// only at its own end tag, an <a> closes an open <a> anywhere in its cell, </br> and
// a stray </p> break the line, title and iframe contents are not shown.
#include "html.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <iterator>

#include "html_tokenizer.hpp"
#include "name_index.hpp"
#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

constexpr std::size_t max_link_text = 512;
// Elements tracked at once; deeper nesting inherits its ancestor's state, so memory
// and time stay linear whatever the input (an end tag searches at most this far).
constexpr std::size_t max_tracked_depth = 256;

// Elements the rules below name, in the order of tag_names.
enum class tag : std::uint8_t {
  a, abbr, acronym, address, area, b, base, basefont, bdo, bgsound, big, blockquote, body, br,
  button, caption, center, cite, code, col, colgroup, dd, dfn, dir, div, dl, dt, em, embed,
  fieldset, font, form, frame, frameset, h1, h2, h3, h4, h5, h6, head, hr, html, i, iframe,
  img, input, kbd, legend, li, link, listing, map, menu, meta, noembed, noframes, noscript,
  object, ol, optgroup, option, p, param, plaintext, pre, q, s, samp, script, select, small,
  source, span, strike, strong, style, sub, sup, table, tbody, td, template_, textarea, tfoot,
  th, thead, title, tr, track, tt, u, ul, var, wbr, xmp,
  other,  // any other name (kept as a hash for matching end tags)
};
constexpr auto tag_names = std::to_array<std::string_view>({
    "a", "abbr", "acronym", "address", "area", "b", "base", "basefont", "bdo", "bgsound", "big",
    "blockquote", "body", "br", "button", "caption", "center", "cite", "code", "col", "colgroup",
    "dd", "dfn", "dir", "div", "dl", "dt", "em", "embed", "fieldset", "font", "form", "frame",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "html", "i", "iframe", "img",
    "input", "kbd", "legend", "li", "link", "listing", "map", "menu", "meta", "noembed",
    "noframes", "noscript", "object", "ol", "optgroup", "option", "p", "param", "plaintext",
    "pre", "q", "s", "samp", "script", "select", "small", "source", "span", "strike", "strong",
    "style", "sub", "sup", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead",
    "title", "tr", "track", "tt", "u", "ul", "var", "wbr", "xmp"});
static_assert(tag_names.size() == static_cast<std::size_t>(tag::other));
constexpr name_index<tag_names.size(), 256> tag_index{tag_names};
static_assert(tag_index.max_probes() <= 4);

tag lookup_tag(std::string_view name) {
  const int i = tag_index.find(name);
  return i < 0 ? tag::other : static_cast<tag>(i);
}

class tag_set {
 public:
  constexpr tag_set(std::initializer_list<tag> tags) {
    for (tag t : tags) bits_[static_cast<unsigned>(t) / 64] |= std::uint64_t{1} << (static_cast<unsigned>(t) % 64);
  }
  [[nodiscard]] constexpr bool has(tag t) const {
    return (bits_[static_cast<unsigned>(t) / 64] >> (static_cast<unsigned>(t) % 64)) & 1;
  }

 private:
  std::uint64_t bits_[2] = {0, 0};
};
static_assert(static_cast<unsigned>(tag::other) < 128);

constexpr tag_set void_elements = {tag::area,  tag::base, tag::basefont, tag::bgsound, tag::br,
                                   tag::col,   tag::embed, tag::frame,   tag::hr,      tag::img,
                                   tag::input, tag::link, tag::meta,     tag::param,   tag::source,
                                   tag::track, tag::wbr};
constexpr tag_set block_elements = {tag::p,     tag::div,        tag::br,  tag::tr,    tag::li,   tag::h1,
                                    tag::h2,    tag::h3,         tag::h4,  tag::h5,    tag::h6,   tag::table,
                                    tag::ul,    tag::ol,         tag::blockquote, tag::pre, tag::hr,
                                    tag::title, tag::form,       tag::center};
// Contents never shown: scripts, styles, the head, templates, and what a mail reader
// renders instead of (noscript) or not at all (title, iframe bodies, the fallbacks for
// readers without frames or plugins).
constexpr tag_set silent_elements = {tag::script, tag::style,    tag::head,     tag::template_, tag::noscript,
                                     tag::title,  tag::iframe,   tag::noframes, tag::noembed};
// What may stay in <head>; anything else closes it (and opens the body).
constexpr tag_set head_content = {tag::base,  tag::basefont, tag::bgsound, tag::link,     tag::meta,
                                  tag::title, tag::noscript, tag::noframes, tag::style,   tag::script,
                                  tag::template_};
// First elements that imply a <head> when no head or body was seen yet.
constexpr tag_set head_implying = {tag::script, tag::style, tag::meta, tag::link, tag::title, tag::base};
// Where an <a> looking for an open <a> to close stops (browsers' scope markers).
constexpr tag_set anchor_scope = {tag::td, tag::th, tag::caption, tag::table, tag::object, tag::template_,
                                  tag::html};

// HTML 4's "start tag closes the current element" rules (libxml2's htmlStartClose):
// whether a new `next` closes the open `current`. Applied while the current element
// is closed by it, so <td> closes an open <b> and then the <td> it was in.
bool start_closes(tag next, tag current) {
  static constexpr tag_set closes_p = {
      tag::address, tag::blockquote, tag::body, tag::caption, tag::center, tag::col, tag::colgroup,
      tag::dd, tag::dir, tag::div, tag::dl, tag::dt, tag::fieldset, tag::form, tag::frameset,
      tag::h1, tag::h2, tag::h3, tag::h4, tag::h5, tag::h6, tag::head, tag::hr, tag::li, tag::listing,
      tag::menu, tag::ol, tag::p, tag::pre, tag::table, tag::tbody, tag::td, tag::tfoot, tag::th,
      tag::title, tag::tr, tag::ul, tag::xmp};
  static constexpr tag_set closes_heading = {tag::fieldset, tag::form, tag::li, tag::p, tag::table};
  static constexpr tag_set closes_preformatted = {tag::dd, tag::dl, tag::dt, tag::fieldset,
                                                  tag::form, tag::li, tag::table, tag::ul};
  static constexpr tag_set closes_list_like = {tag::dd, tag::dl, tag::dt, tag::form, tag::ul};
  static constexpr tag_set closes_caption = {tag::col, tag::colgroup, tag::tbody, tag::tfoot, tag::thead, tag::tr};
  static constexpr tag_set closes_colgroup = {tag::colgroup, tag::tbody, tag::tfoot, tag::thead, tag::tr};
  static constexpr tag_set closes_cell = {tag::tbody, tag::td, tag::tfoot, tag::th, tag::tr};
  switch (current) {
    case tag::p: return closes_p.has(next);
    case tag::a: return tag_set{tag::a, tag::fieldset, tag::table, tag::td, tag::th}.has(next);
    case tag::b:
    case tag::i: return tag_set{tag::center, tag::p, tag::td, tag::th}.has(next);
    case tag::u: return tag_set{tag::p, tag::td, tag::th}.has(next);
    case tag::font: return tag_set{tag::center, tag::td, tag::th}.has(next);
    case tag::span: return tag_set{tag::td, tag::th}.has(next);
    case tag::big:
    case tag::s:
    case tag::small:
    case tag::strike:
    case tag::tt: return next == tag::p;
    case tag::h1:
    case tag::h2:
    case tag::h3:
    case tag::h4:
    case tag::h5:
    case tag::h6: return closes_heading.has(next);
    case tag::pre:
    case tag::xmp:
    case tag::listing: return closes_preformatted.has(next);
    case tag::address: return tag_set{tag::dd, tag::dl, tag::dt, tag::form, tag::li, tag::ul}.has(next);
    case tag::dir:
    case tag::menu: return closes_list_like.has(next);
    case tag::ul: return tag_set{tag::address, tag::form, tag::menu, tag::pre}.has(next);
    case tag::ol: return next == tag::form;
    case tag::dl: return tag_set{tag::form, tag::li}.has(next);
    case tag::dt: return tag_set{tag::dd, tag::dl}.has(next);
    case tag::dd: return next == tag::dt;
    case tag::li: return next == tag::li;
    case tag::option: return tag_set{tag::option, tag::optgroup}.has(next);
    case tag::form: return next == tag::form;
    case tag::hr: return next == tag::form;
    case tag::legend: return next == tag::fieldset;
    case tag::caption: return closes_caption.has(next);
    case tag::col:
    case tag::colgroup: return closes_colgroup.has(next) || (current == tag::col && next == tag::col);
    case tag::td:
    case tag::th: return closes_cell.has(next);
    case tag::tr: return tag_set{tag::tbody, tag::tfoot, tag::tr}.has(next);
    case tag::thead: return tag_set{tag::tbody, tag::tfoot}.has(next);
    case tag::tbody: return tag_set{tag::tbody, tag::tfoot}.has(next);
    case tag::tfoot: return next == tag::tbody;
    case tag::title:
    case tag::style:
    case tag::link: return tag_set{tag::body, tag::frameset}.has(next);
    case tag::script: return next == tag::noscript;
    default: return false;
  }
}

// How far an end tag may reach: it closes the elements above its match only when none
// of them ranks higher (libxml2's end priorities), so a stray </span> or </font> leaves
// an open <div> or table cell alone.
int end_rank(tag t) {
  switch (t) {
    case tag::div: return 150;
    case tag::td:
    case tag::th: return 160;
    case tag::tr: return 170;
    case tag::thead:
    case tag::tbody:
    case tag::tfoot: return 180;
    case tag::table: return 190;
    case tag::head:
    case tag::body: return 200;
    case tag::html: return 220;
    default: return 100;
  }
}

// Identity of an element for end-tag matching: the tag, or a hash of an unknown name.
std::uint64_t element_key(tag t, std::string_view name) {
  if (t != tag::other) return static_cast<std::uint64_t>(t);
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h | (std::uint64_t{1} << 63);
}

// What an inline style does to its element's text.
enum class style_effect : std::uint8_t { none, hidden, tiny };

// Style matching reads the value as if lower-cased and stripped of whitespace first
// ("Display : None" is "display:none"), without making that copy: `word` (lower-case,
// no whitespace) is compared with the value's bytes, whitespace between them skipped.
// Whether the bytes before `end` end with `word`; on success `end` moves to its start.
bool squashed_ends_with(std::string_view s, std::size_t& end, std::string_view word) {
  std::size_t i = end;
  for (std::size_t k = word.size(); k-- > 0; --i) {
    while (i > 0 && is_space(s[i - 1])) --i;
    if (i == 0 || ascii_lower(s[i - 1]) != word[k]) return false;
  }
  end = i;
  return true;
}
// Whether the bytes from `begin` start with `word`; on success `begin` moves past it.
bool squashed_consume(std::string_view s, std::size_t& begin, std::string_view word) {
  std::size_t i = begin;
  for (char w : word) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i == s.size() || ascii_lower(s[i]) != w) return false;
    ++i;
  }
  begin = i;
  return true;
}
bool squashed_starts_with(std::string_view s, std::size_t begin, std::string_view word) {
  return squashed_consume(s, begin, word);
}

// The declarations in the first 4096 bytes of a style attribute that hide text, or make
// it too small or white to see. Every pattern holds exactly one ':', so the value is
// read from ':' to ':', looking back for the property and ahead for the value; each
// look stops at the neighbouring ':', so the time stays linear in the value.
style_effect classify_style(std::string_view value) {
  const std::string_view st = value.substr(0, 4096);
  std::size_t first = 0;  // of the bytes that are not whitespace
  while (first < st.size() && is_space(st[first])) ++first;
  std::size_t last = st.size();  // after them
  while (last > first && is_space(st[last - 1])) --last;
  bool tiny = false;
  for (std::size_t colon = st.find(':'); colon != std::string_view::npos; colon = st.find(':', colon + 1)) {
    const std::size_t after = colon + 1;
    std::size_t property_end = colon;
    while (property_end > 0 && is_space(st[property_end - 1])) --property_end;
    if (property_end == 0) continue;
    // The properties end in 'y' (display, visibility), 'e' (font-size) or 'r' (color).
    const char property_last = ascii_lower(st[property_end - 1]);
    std::size_t before = property_end;
    if (property_last == 'y') {
      if ((squashed_ends_with(st, before, "display") && squashed_starts_with(st, after, "none")) ||
          (squashed_ends_with(st, before = property_end, "visibility") && squashed_starts_with(st, after, "hidden")))
        return style_effect::hidden;
    } else if (tiny) {
      continue;
    } else if (property_last == 'e' && squashed_ends_with(st, before, "font-size")) {
      for (std::string_view t : {"0;", "0px", "1px", "0pt", "1pt", "0em", "0%"})
        if (squashed_starts_with(st, after, t)) tiny = true;
      // "font-size:0" ending the (squashed) value.
      if (std::size_t end = after; squashed_consume(st, end, "0") && end >= last) tiny = true;
    } else if (property_last == 'r' && squashed_ends_with(st, before, "color")) {
      if (before == first) {  // the value starts with "color:"
        tiny = squashed_starts_with(st, after, "#fff") || squashed_starts_with(st, after, "white");
      } else if (squashed_ends_with(st, before, ";")) {  // white text: a cheap proxy for text coloured like its background
        for (std::string_view t : {"#fff;", "#ffffff", "white", "rgb(255,255,255)"})
          if (squashed_starts_with(st, after, t)) tiny = true;
      }
    }
  }
  return tiny ? style_effect::tiny : style_effect::none;
}

bool all_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return is_space(c) || c == '\f'; });
}

void line_break(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (!s.empty() && s.back() != '\n') s.push_back('\n');
}

// The attributes the walker reads; each the first of its name, as a browser keeps it.
struct known_attributes {
  const html_attribute* alt = nullptr;
  const html_attribute* hidden = nullptr;
  const html_attribute* href = nullptr;
  const html_attribute* style = nullptr;
  const html_attribute* type = nullptr;
};

// Its slot in known_attributes, or nullptr for the attributes no rule reads (class,
// width, ...): the tokenizer does not even decode those.
const html_attribute* known_attributes::*known_slot(std::string_view name) {
  switch (name.size()) {
    case 3: return name == "alt" ? &known_attributes::alt : nullptr;
    case 4: return name == "href" ? &known_attributes::href : name == "type" ? &known_attributes::type : nullptr;
    case 5: return name == "style" ? &known_attributes::style : nullptr;
    case 6: return name == "hidden" ? &known_attributes::hidden : nullptr;
    default: return nullptr;
  }
}
bool is_known_attribute(std::string_view name) { return known_slot(name) != nullptr; }

known_attributes find_known_attributes(std::span<const html_attribute> attrs) {
  known_attributes k;
  for (const auto& a : attrs)
    if (const auto slot = known_slot(a.name); slot && !(k.*slot)) k.*slot = &a;
  return k;
}

struct element {
  tag id;
  std::uint64_t key;  // element_key
  bool silent;        // text not visible (script/style/head or hidden)
  int anchor;         // index into links of the enclosing <a>, or -1
};

// Tree builder and walker for one document; lives on extract_html's stack.
class walker {
 public:
  explicit walker(std::size_t max_links) : max_links_(max_links) { stack_.reserve(32); }

  void start_tag(const html_token& t);
  void end_tag(const html_token& t);
  void text(const html_token& t);
  html_extract& result() { return out_; }

 private:
  [[nodiscard]] bool top_is(tag t) const { return untracked_ == 0 && !stack_.empty() && stack_.back().id == t; }
  [[nodiscard]] bool head_open() const { return stack_.size() >= 2 && stack_[1].id == tag::head; }
  [[nodiscard]] bool body_open() const { return stack_.size() >= 2 && stack_[1].id == tag::body; }
  void close_head() {
    if (head_open()) pop_to(1);
  }
  // Opens an element the markup left implicit (html, head, body, p).
  void open_implied(tag t) { open(t, static_cast<std::uint64_t>(t), {}); }
  void open(tag id, std::uint64_t key, std::span<const html_attribute> attrs);
  void pop_to(std::size_t depth);
  void add_link_text(int anchor, std::string_view t);
  [[nodiscard]] element current() const {
    return stack_.empty() ? element{tag::other, 0, false, -1} : stack_.back();
  }

  html_extract out_;
  std::size_t max_links_;
  std::vector<element> stack_;
  std::size_t untracked_ = 0;  // open elements beyond max_tracked_depth
  std::size_t misplaced_ = 0;  // ignored <html>/<head>/<body> starts; their ends are ignored too
  bool seen_head_ = false;
  bool seen_body_ = false;
};

void walker::add_link_text(int anchor, std::string_view t) {
  std::string& lt = out_.links[static_cast<std::size_t>(anchor)].text;
  if (lt.size() < max_link_text) append_collapsed(lt, t.substr(0, max_link_text));
}

void walker::pop_to(std::size_t depth) {
  if (stack_.size() > depth) stack_.resize(depth);
}

// An element starts: counts, link and visibility state, the block's line break; then
// it is pushed (void elements are not).
void walker::open(tag id, std::uint64_t key, std::span<const html_attribute> attrs) {
  element f = current();
  f.id = id;
  f.key = key;
  if (silent_elements.has(id)) f.silent = true;
  const known_attributes ka = find_known_attributes(attrs);
  switch (id) {
    case tag::script: ++out_.stats.scripts; break;
    case tag::form: ++out_.stats.forms; break;
    case tag::input:
      ++out_.stats.inputs;
      if (ka.type && iequals(ka.type->value, "password"))
        ++out_.stats.password_inputs;
      break;
    case tag::select:
    case tag::textarea: ++out_.stats.inputs; break;
    case tag::iframe:
    case tag::frame: ++out_.stats.iframes; break;
    case tag::img:
      ++out_.stats.images;
      if (ka.alt && f.anchor >= 0) add_link_text(f.anchor, ka.alt->value);
      break;
    case tag::a:
      if (const auto* href = ka.href) {
        ++out_.stats.links;
        if (out_.links.size() >= max_links_) {
          out_.links_capped = true;
        } else {
          link l;
          l.href = std::string(trim(href->value));
          out_.links.push_back(std::move(l));
          f.anchor = static_cast<int>(out_.links.size() - 1);
        }
      }
      break;
    default: break;
  }
  if (ka.hidden) {
    ++out_.stats.hidden_elements;
    f.silent = true;
  } else if (ka.style) {
    switch (classify_style(ka.style->value)) {
      case style_effect::hidden:
        ++out_.stats.hidden_elements;
        f.silent = true;
        break;
      case style_effect::tiny: ++out_.stats.tiny_text_elements; break;
      case style_effect::none: break;
    }
  }
  if (block_elements.has(id) && !f.silent) line_break(out_.text);
  if (void_elements.has(id)) return;
  if (untracked_ == 0 && stack_.size() < max_tracked_depth)
    stack_.push_back(f);
  else
    ++untracked_;
}

void walker::start_tag(const html_token& t) {
  const tag id = lookup_tag(t.name);
  const std::uint64_t key = element_key(id, t.name);
  if (untracked_ > 0) {  // too deep to know the current element: no implied ends
    open(id, key, t.attributes);
    return;
  }
  switch (id) {
    case tag::html:
      if (stack_.empty()) {
        open(id, key, t.attributes);
      } else {
        ++misplaced_;
      }
      return;
    case tag::head:
      if (!seen_head_ && !seen_body_ && stack_.size() <= 1) {
        if (stack_.empty()) open_implied(tag::html);
        open(id, key, t.attributes);
        seen_head_ = true;
      } else {
        ++misplaced_;
      }
      return;
    case tag::body:
      close_head();
      if (body_open()) {
        ++misplaced_;
        return;
      }
      if (stack_.empty()) open_implied(tag::html);
      pop_to(1);  // after </body>: a second body replaces the first
      open(id, key, t.attributes);
      seen_body_ = true;
      return;
    default: break;
  }
  if (head_open()) {
    if (!head_content.has(id)) close_head();
  } else if (head_implying.has(id) && stack_.size() <= 1 && !seen_head_ && !seen_body_) {
    if (stack_.empty()) open_implied(tag::html);
    open_implied(tag::head);
    seen_head_ = true;
  }
  while (!stack_.empty() && start_closes(id, stack_.back().id)) stack_.pop_back();
  if (id == tag::a) {  // an <a> inside an open <a> closes it first
    for (std::size_t i = stack_.size(); i-- > 0 && !anchor_scope.has(stack_[i].id);) {
      if (stack_[i].id == tag::a) {
        pop_to(i);
        break;
      }
    }
  }
  if (stack_.empty()) open_implied(tag::html);
  if (stack_.size() == 1 && !head_open() && id != tag::frameset && id != tag::frame && id != tag::noframes &&
      !(head_implying.has(id) && !seen_body_)) {
    open_implied(tag::body);
    seen_body_ = true;
  }
  open(id, key, t.attributes);
}

void walker::end_tag(const html_token& t) {
  const tag id = lookup_tag(t.name);
  if (untracked_ > 0) {  // too deep to know names: close the innermost element
    --untracked_;
    return;
  }
  if (misplaced_ > 0 && (id == tag::html || id == tag::head || id == tag::body)) {
    --misplaced_;
    return;
  }
  const std::uint64_t key = element_key(id, t.name);
  const int rank = end_rank(id);
  std::size_t i = stack_.size();
  while (i-- > 0) {
    if (stack_[i].key == key) {
      pop_to(i);
      return;
    }
    if (end_rank(stack_[i].id) > rank) break;
  }
  // Not open: browsers still break the line for </br> and a stray </p>.
  if (id == tag::br || id == tag::p) {
    const element f = current();
    if (!f.silent) line_break(out_.text);
  }
}

void walker::text(const html_token& t) {
  if (untracked_ == 0 && !t.raw && (stack_.empty() || top_is(tag::html) || head_open())) {
    if (all_space(t.text)) return;  // between html/head/body: not content
    close_head();
    if (stack_.empty()) open_implied(tag::html);
    if (top_is(tag::html)) {
      if (!seen_body_) {
        open_implied(tag::body);
        seen_body_ = true;
      } else {
        open_implied(tag::p);  // text after </body>: its own paragraph
      }
    }
  }
  const element f = current();
  if (f.silent) return;
  append_collapsed(out_.text, t.text);
  if (f.anchor >= 0) add_link_text(f.anchor, t.text);
}

}  // namespace

html_extract extract_html(std::string_view html, std::size_t max_links) {
  walker w(max_links);
  html_tokenizer tokens(html, is_known_attribute);
  for (;;) {
    const html_token& t = tokens.next();
    if (t.kind == html_token_kind::end_of_input) break;
    switch (t.kind) {
      case html_token_kind::start_tag: w.start_tag(t); break;
      case html_token_kind::end_tag: w.end_tag(t); break;
      case html_token_kind::text: w.text(t); break;
      case html_token_kind::end_of_input: break;
    }
  }
  html_extract& out = w.result();
  while (!out.text.empty() && is_space(out.text.back())) out.text.pop_back();
  for (auto& l : out.links)
    while (!l.text.empty() && is_space(l.text.back())) l.text.pop_back();
  return std::move(out);
}

}  // namespace mailtriage::mime::detail
