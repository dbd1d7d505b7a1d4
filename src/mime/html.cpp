#include "html.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cstdlib>

#include "text_util.hpp"

namespace mailtriage::mime::detail {
namespace {

constexpr std::size_t max_link_text = 512;

// Bump allocator for one gumbo parse. gumbo makes many small allocations and frees them
// one by one in gumbo_destroy_output; with the arena, frees are no-ops and the whole
// tree is released at once by the arena's destructor, which roughly halves the cost of
// small documents. Memory stays linear in the (size-capped) input. One arena per call,
// owned by extract_html's stack frame; not shared between threads.
class arena {
 public:
  arena() = default;
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  ~arena() {
    for (void* b : blocks_) std::free(b);
  }
  void* allocate(std::size_t n) {
    n = (n + 15) & ~std::size_t{15};
    if (n > left_) {
      std::size_t block = std::max(n, next_block_);
      next_block_ = std::min<std::size_t>(next_block_ * 2, std::size_t{4} << 20);
      void* b = std::malloc(block);
      if (!b) return nullptr;
      blocks_.push_back(b);
      cur_ = static_cast<char*>(b);
      left_ = block;
    }
    void* p = cur_;
    cur_ += n;
    left_ -= n;
    return p;
  }
  static void* gumbo_alloc(void* self, std::size_t n) { return static_cast<arena*>(self)->allocate(n); }
  static void gumbo_free(void*, void*) {}

 private:
  std::vector<void*> blocks_;
  char* cur_ = nullptr;
  std::size_t left_ = 0;
  std::size_t next_block_ = 64 << 10;
};

const char* attr(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a ? a->value : nullptr;
}

// Lower-case copy without whitespace, for style matching ("display : none").
std::string squash(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!is_space(c)) out.push_back(ascii_lower(c));
  return out;
}

bool style_hidden(const std::string& st) {
  return st.find("display:none") != std::string::npos || st.find("visibility:hidden") != std::string::npos;
}

bool style_tiny(const std::string& st) {
  for (std::string_view t : {"font-size:0;", "font-size:0px", "font-size:1px", "font-size:0pt", "font-size:1pt",
                             "font-size:0em", "font-size:0%"})
    if (st.find(t) != std::string::npos) return true;
  if (st.ends_with("font-size:0")) return true;
  // White text: a cheap proxy for text coloured like its background.
  for (std::string_view t : {";color:#fff;", ";color:#ffffff", ";color:white", ";color:rgb(255,255,255)"})
    if (st.find(t) != std::string::npos) return true;
  return st.starts_with("color:#fff") || st.starts_with("color:white");
}

bool is_block(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_BR: case GUMBO_TAG_TR: case GUMBO_TAG_LI:
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5:
    case GUMBO_TAG_H6: case GUMBO_TAG_TABLE: case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_TITLE: case GUMBO_TAG_FORM: case GUMBO_TAG_CENTER:
      return true;
    default:
      return false;
  }
}

void line_break(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (!s.empty() && s.back() != '\n') s.push_back('\n');
}

struct frame {
  const GumboNode* node;
  unsigned next_child;
  bool silent;  // text not visible (script/style/head or hidden)
  int anchor;   // index into links of the enclosing <a>, or -1
};

}  // namespace

html_extract extract_html(std::string_view html, std::size_t max_links) {
  html_extract out;
  arena mem;
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // we never read the error list
  options.allocator = &arena::gumbo_alloc;
  options.deallocator = &arena::gumbo_free;
  options.userdata = &mem;
  // No gumbo_destroy_output: the arena frees the whole tree when it goes out of scope.
  const GumboOutput* doc = gumbo_parse_with_options(&options, html.data(), html.size());
  if (!doc) return out;

  std::vector<frame> stack;
  stack.push_back({doc->root, 0, false, -1});
  auto enter = [&](const GumboNode* n, const frame& parent) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
      if (parent.silent) return;
      std::string_view t = n->v.text.text;
      append_collapsed(out.text, t);
      if (parent.anchor >= 0) {
        std::string& lt = out.links[static_cast<std::size_t>(parent.anchor)].text;
        if (lt.size() < max_link_text) append_collapsed(lt, t.substr(0, max_link_text));
      }
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) return;
    const GumboElement& e = n->v.element;
    frame f{n, 0, parent.silent, parent.anchor};
    switch (e.tag) {
      case GUMBO_TAG_SCRIPT: ++out.stats.scripts; f.silent = true; break;
      case GUMBO_TAG_STYLE: case GUMBO_TAG_HEAD: case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_NOSCRIPT:
        f.silent = true;
        break;
      case GUMBO_TAG_FORM: ++out.stats.forms; break;
      case GUMBO_TAG_INPUT: {
        ++out.stats.inputs;
        const char* type = attr(e, "type");
        if (type && iequals(type, "password")) ++out.stats.password_inputs;
        break;
      }
      case GUMBO_TAG_SELECT: case GUMBO_TAG_TEXTAREA: ++out.stats.inputs; break;
      case GUMBO_TAG_IFRAME: case GUMBO_TAG_FRAME: ++out.stats.iframes; break;
      case GUMBO_TAG_IMG: {
        ++out.stats.images;
        const char* alt = attr(e, "alt");
        if (alt && f.anchor >= 0) {
          std::string& lt = out.links[static_cast<std::size_t>(f.anchor)].text;
          if (lt.size() < max_link_text) append_collapsed(lt, std::string_view(alt).substr(0, max_link_text));
        }
        break;
      }
      case GUMBO_TAG_A: {
        const char* href = attr(e, "href");
        if (!href) break;
        ++out.stats.links;
        if (out.links.size() >= max_links) {
          out.links_capped = true;
          break;
        }
        link l;
        l.href = std::string(trim(href));
        out.links.push_back(std::move(l));
        f.anchor = static_cast<int>(out.links.size() - 1);
        break;
      }
      default:
        break;
    }
    if (gumbo_get_attribute(&e.attributes, "hidden")) {
      ++out.stats.hidden_elements;
      f.silent = true;
    } else if (const char* style = attr(e, "style")) {
      std::string st = squash(std::string_view(style).substr(0, 4096));
      if (style_hidden(st)) {
        ++out.stats.hidden_elements;
        f.silent = true;
      } else if (style_tiny(st)) {
        ++out.stats.tiny_text_elements;
      }
    }
    if (is_block(e.tag) && !f.silent) line_break(out.text);
    stack.push_back(f);
  };

  while (!stack.empty()) {
    frame& top = stack.back();
    const GumboVector& children = top.node->v.element.children;
    if (top.next_child >= children.length) {
      stack.pop_back();
      continue;
    }
    const auto* child = static_cast<const GumboNode*>(children.data[top.next_child++]);
    frame parent = top;  // copy: enter() may reallocate the stack
    enter(child, parent);
  }
  while (!out.text.empty() && is_space(out.text.back())) out.text.pop_back();
  for (auto& l : out.links)
    while (!l.text.empty() && is_space(l.text.back())) l.text.pop_back();
  return out;
}

}  // namespace mailtriage::mime::detail
