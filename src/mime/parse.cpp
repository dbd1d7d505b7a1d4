// mime::parse: the bounded entity walker. We use our own parser over string_views instead
// of mimetic::MimeEntity: mimetic copies every body line into std::strings, applies no
// depth, part or size limits, and recurses without bound, which a nesting bomb or a 50 MB
// line turns into unbounded time and memory. Only mimetic's Base64 codec is used
// (transfer.cpp). Recursion depth here is bounded by limits::max_depth.
#include "mailtriage/mime/parse.hpp"

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "charset.hpp"
#include "header_section.hpp"
#include "html.hpp"
#include "mime_params.hpp"
#include "multipart.hpp"
#include "sniff.hpp"
#include "text_util.hpp"
#include "transfer.hpp"
#include "urls.hpp"

namespace mailtriage::mime {
namespace {

using namespace detail;

struct context {
  const limits& lim;
  message& msg;
  std::uint32_t headers_left;
  std::size_t total_decoded = 0;
  bool stop = false;
  bool top_header_complete = true;
};

// Drops every CR that precedes an LF, in place, moving the text between CRs in bulk
// (messages from the milter are CRLF throughout).
std::string crlf_to_lf(std::string s) {
  std::size_t i = s.find('\r');
  if (i == std::string::npos) return s;
  char* d = s.data();
  const std::size_t n = s.size();
  std::size_t w = i;
  while (i < n) {
    const void* cr = std::memchr(d + i, '\r', n - i);
    const std::size_t end = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - d) : n;
    std::memmove(d + w, d + i, end - i);
    w += end - i;
    i = end;
    if (i == n) break;
    if (i + 1 >= n || d[i + 1] != '\n') d[w++] = '\r';  // a CR on its own stays
    ++i;
  }
  s.resize(w);
  return s;
}

// Cuts a UTF-8 string to at most n bytes without splitting a character.
void utf8_truncate(std::string& s, std::size_t n) {
  if (s.size() <= n) return;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

// `bytes` is the decoded content, or its head when `size` is larger (sniff()'s contract).
void add_attachment(context& ctx, std::size_t part_index, std::string filename, std::string declared,
                    std::string_view bytes, std::size_t size, bool truncated, bool from_uu) {
  attachment a;
  a.part_index = part_index;
  a.filename = std::move(filename);
  a.declared_type = std::move(declared);
  a.sniffed = sniff(bytes, size);
  a.size = size;
  a.truncated = truncated;
  a.from_uuencode = from_uu;
  ctx.msg.attachments.push_back(std::move(a));
}

// Takes uuencoded blocks out of a plain text, recording each as an attachment.
std::string strip_uuencoded(context& ctx, std::size_t part_index, std::string text) {
  if (text.find("begin ") == std::string::npos) return text;
  std::string kept;
  std::size_t from = 0;
  uu_block b;
  while (find_uuencoded(text, from, ctx.lim.max_part_decoded_bytes, b)) {
    ctx.msg.defects.set(defect::uuencoded_content);
    if (b.data.bad) ctx.msg.defects.set(defect::bad_uuencode);
    if (b.data.capped) ctx.msg.defects.set(defect::decoded_bytes_limit);
    add_attachment(ctx, part_index, b.filename, "application/x-uuencode", b.data.bytes, b.data.bytes.size(),
                   b.data.capped, true);
    kept.append(text, from, b.begin - from);
    from = b.end;
    if (ctx.msg.attachments.size() >= ctx.lim.max_parts) break;
  }
  kept.append(text, from, std::string::npos);
  return kept;
}

// A Base64 attachment is only sniffed and counted, so past the head that sniff() reads
// it is measured instead of decoded (unless it is a ZIP archive, which sniff() reads
// whole): the same size and flags, without producing the bytes. Decoding was most of the
// cost of a message carrying a large PDF or image (docs/PERFORMANCE.md, twelfth round).
// Returns the head or the whole content; `size` is the whole decoded size.
decoded decode_base64_attachment(std::string_view body, std::size_t cap, std::size_t& size) {
  // Input enough for the head with line breaks every 76 characters, and to spare.
  constexpr std::size_t head_input = (sniff_head_bytes + 3) / 3 * 4 * 9 / 8 + 64;
  if (cap > sniff_head_bytes && body.size() > head_input) {
    // Decoding a prefix of the input gives a prefix of the output, except for the up to
    // 2 bytes its last, cut group flushes: those are not kept.
    decoded head = decode_base64(body.substr(0, head_input), head_input);
    if (head.bytes.size() >= sniff_head_bytes + 2) {
      head.bytes.resize(sniff_head_bytes);
      if (!sniff_reads_whole(head.bytes)) {
        const decoded_extent whole = measure_base64(body, cap);
        size = whole.size;
        head.bad = whole.bad;
        head.capped = whole.capped;
        return head;
      }
    }
  }
  decoded d = decode_base64(body, cap);
  size = d.bytes.size();
  return d;
}

void process_leaf(context& ctx, std::size_t idx, std::string_view body) {
  message& msg = ctx.msg;
  const limits& lim = ctx.lim;
  std::size_t room = lim.max_total_decoded_bytes - std::min(ctx.total_decoded, lim.max_total_decoded_bytes);
  std::size_t cap = std::min(lim.max_part_decoded_bytes, room);
  const std::string cte = msg.parts[idx].transfer_encoding;
  const bool is_attachment = msg.parts[idx].kind == part_kind::attachment;
  decoded d;
  std::size_t size = 0;  // bytes decoded; d.bytes may hold only the head of an attachment
  if (cte == "base64") {
    if (is_attachment) {
      d = decode_base64_attachment(body, cap, size);
    } else {
      d = decode_base64(body, cap);
      size = d.bytes.size();
    }
    if (d.bad) msg.defects.set(defect::bad_base64);
  } else if (cte == "quoted-printable") {
    d = decode_qp(body, cap);
    size = d.bytes.size();
    if (d.bad) msg.defects.set(defect::bad_qp);
  } else {
    if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary" && cte != "x-uuencode" &&
        cte != "uuencode" && cte != "x-uue")
      msg.defects.set(defect::unknown_transfer_encoding);
    d = copy_identity(body, cap);
    size = d.bytes.size();
  }
  if (d.capped) {
    msg.defects.set(defect::decoded_bytes_limit);
    if (cap == room) ctx.stop = true;  // the message-wide budget is spent
  }
  ctx.total_decoded += size;
  part& p = msg.parts[idx];
  p.decoded_size = size;

  if (is_attachment) {
    p.attachment_index = static_cast<int>(msg.attachments.size());
    add_attachment(ctx, idx, p.filename, p.content_type, d.bytes, size, d.capped, false);
    return;
  }
  conversion c = to_utf8(std::move(d.bytes), p.charset);
  if (c.bad) msg.defects.set(defect::bad_charset);
  std::string text = crlf_to_lf(std::move(c.text));
  text_block block;
  block.part_index = idx;
  if (p.kind == part_kind::html) {
    if (text.size() > lim.max_html_bytes) {
      msg.defects.set(defect::html_limit);
      utf8_truncate(text, lim.max_html_bytes);
    }
    std::size_t links_room = lim.max_links - std::min<std::size_t>(msg.links.size(), lim.max_links);
    html_extract h = extract_html(text, links_room);
    if (h.links_capped) msg.defects.set(defect::url_limit);
    for (auto& l : h.links) {
      l.part_index = idx;
      msg.links.push_back(std::move(l));
    }
    html_stats& s = msg.html;
    s.forms += h.stats.forms;
    s.inputs += h.stats.inputs;
    s.password_inputs += h.stats.password_inputs;
    s.scripts += h.stats.scripts;
    s.images += h.stats.images;
    s.iframes += h.stats.iframes;
    s.hidden_elements += h.stats.hidden_elements;
    s.tiny_text_elements += h.stats.tiny_text_elements;
    s.links += h.stats.links;
    ++s.html_parts;
    block.from_html = true;
    block.text = std::move(h.text);
  } else {
    text = strip_uuencoded(ctx, idx, std::move(text));
    if (!extract_urls(text, msg.urls, lim.max_links)) msg.defects.set(defect::url_limit);
    block.text = std::move(text);
  }
  msg.parts[idx].text_index = static_cast<int>(msg.texts.size());
  msg.texts.push_back(std::move(block));
}

void parse_entity(context& ctx, std::string_view entity, int parent, std::uint32_t depth,
                  std::string_view default_type) {
  message& msg = ctx.msg;
  if (ctx.stop) return;
  if (msg.parts.size() >= ctx.lim.max_parts) {
    msg.defects.set(defect::part_limit);
    ctx.stop = true;
    return;
  }
  header_section hs = parse_header_section(entity, ctx.lim, ctx.headers_left, msg.defects);
  if (parent < 0) ctx.top_header_complete = hs.body_offset < entity.size() || entity.ends_with('\n');

  part p;
  p.parent = parent;
  p.depth = depth;
  std::string boundary;
  if (const header_field* ct = find_header(hs.fields, "content-type")) {
    content_header h = parse_content_header(unfold(ct->raw_value()), msg.defects);
    if (h.value.find('/') != std::string::npos) p.content_type = std::move(h.value);
    else p.content_type = std::string(default_type);
    if (const std::string* cs = h.param("charset")) p.charset = to_lower(*cs);
    if (const std::string* b = h.param("boundary")) boundary = *b;
    if (const std::string* n = h.param("name")) p.filename = *n;
    p.content_type_params = std::move(h.params);
  } else {
    p.content_type = std::string(default_type);
  }
  if (const header_field* cd = find_header(hs.fields, "content-disposition")) {
    content_header h = parse_content_header(unfold(cd->raw_value()), msg.defects);
    p.disposition = std::move(h.value);
    if (const std::string* fn = h.param("filename"); fn && !fn->empty()) p.filename = *fn;
  }
  if (const header_field* te = find_header(hs.fields, "content-transfer-encoding"))
    p.transfer_encoding = to_lower(trim(unfold(te->raw_value())));

  std::string_view body = entity.substr(hs.body_offset);
  p.raw_size = body.size();
  if (parent < 0) msg.headers = std::move(hs.fields);
  else p.headers = std::move(hs.fields);

  const bool is_multipart = p.content_type.starts_with("multipart/");
  const bool is_message = p.content_type == "message/rfc822" || p.content_type == "message/global";
  if (is_multipart && boundary.empty()) {
    msg.defects.set(defect::missing_boundary);
    p.content_type = "text/plain";  // RFC 2046: treat as the default, so its text is still read
  }
  const std::size_t idx = msg.parts.size();
  if ((is_multipart && !boundary.empty()) || is_message) {
    p.kind = is_message ? part_kind::message : part_kind::multipart;
    msg.parts.push_back(std::move(p));
    if (depth >= ctx.lim.max_depth) {
      msg.defects.set(defect::depth_limit);
      return;
    }
    if (is_message) {
      std::string decoded_body;  // message/rfc822 should not be encoded, but some senders do
      std::string_view inner = body;
      const std::string& cte = msg.parts[idx].transfer_encoding;
      if (cte == "base64" || cte == "quoted-printable") {
        std::size_t cap = ctx.lim.max_part_decoded_bytes;
        decoded d = cte == "base64" ? decode_base64(body, cap) : decode_qp(body, cap);
        if (d.capped) msg.defects.set(defect::decoded_bytes_limit);
        decoded_body = std::move(d.bytes);
        inner = decoded_body;
      }
      parse_entity(ctx, inner, static_cast<int>(idx), depth + 1, "text/plain");
      return;
    }
    bool capped = false;
    multipart_split split = split_multipart(body, boundary, ctx.lim.max_parts, capped);
    if (capped) msg.defects.set(defect::part_limit);
    if (!split.found_delimiter) msg.defects.set(defect::missing_boundary);
    else if (!split.closed) msg.defects.set(defect::missing_closing_boundary);
    const bool digest = msg.parts[idx].content_type == "multipart/digest";
    for (std::string_view child : split.parts) {
      parse_entity(ctx, child, static_cast<int>(idx), depth + 1, digest ? "message/rfc822" : "text/plain");
      if (ctx.stop) return;
    }
    if (!split.found_delimiter && !body.empty() && msg.parts.size() < ctx.lim.max_parts) {
      // No delimiter at all: keep the body readable as one text part.
      part t;
      t.parent = static_cast<int>(idx);
      t.depth = depth + 1;
      t.kind = part_kind::text;
      t.raw_size = body.size();
      const std::size_t ti = msg.parts.size();
      msg.parts.push_back(std::move(t));
      process_leaf(ctx, ti, body);
    }
    return;
  }
  if (p.disposition == "attachment" ||
      !(p.content_type.starts_with("text/") || p.content_type.starts_with("multipart/"))) {
    p.kind = part_kind::attachment;
  } else if (p.content_type == "text/html") {
    p.kind = part_kind::html;
  } else {
    p.kind = part_kind::text;
  }
  msg.parts.push_back(std::move(p));
  process_leaf(ctx, idx, body);
}

void check_top_headers(message& msg) {
  static constexpr std::string_view critical[] = {"from", "to", "subject", "date", "message-id", "mime-version"};
  int counts[std::size(critical)] = {};
  for (const auto& h : msg.headers)
    for (std::size_t i = 0; i < std::size(critical); ++i)
      if (iequals(h.name(), critical[i])) ++counts[i];
  for (int c : counts)
    if (c > 1) msg.defects.set(defect::duplicate_critical_header);
  if (msg.headers.empty() || counts[0] == 0 || counts[3] == 0) msg.defects.set(defect::missing_headers);
}

// True when some CR is not followed by LF. Messages from the milter are CRLF throughout,
// so this compares sixteen bytes (SSE2, part of x86-64) or eight (elsewhere), and the
// same number after them shifted by one, at a time instead of calling memchr once per
// line: it reads every byte of every message.
bool has_bare_cr(std::string_view raw) {
  const char* p = raw.data();
  const std::size_t n = raw.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
  for (; i + 17 <= n; i += 16) {
    const __m128i at = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), cr);
    const __m128i next = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1)), lf);
    if (_mm_movemask_epi8(_mm_andnot_si128(next, at)) != 0) return true;
  }
#endif
  for (; i + 9 <= n; i += 8) {
    if (bytes_equal(load_u64(p + i), '\r') & ~bytes_equal(load_u64(p + i + 1), '\n')) return true;
  }
  for (; i < n; ++i)
    if (p[i] == '\r' && (i + 1 >= n || p[i + 1] != '\n')) return true;
  return false;
}

void check_bytes(std::string_view raw, message& msg) {
  if (std::memchr(raw.data(), '\0', raw.size())) msg.defects.set(defect::nul_byte);
  if (has_bare_cr(raw)) msg.defects.set(defect::bare_cr_or_lf_mix);
}

}  // namespace

message parse(std::string_view raw, const limits& lim) {
  message msg;
  msg.raw_size = raw.size();
  try {
    context ctx{lim, msg, lim.max_headers};
    check_bytes(raw, msg);
    parse_entity(ctx, raw, -1, 0, "text/plain");
    check_top_headers(msg);
    if (!raw.empty() && raw.back() != '\n' &&
        (msg.defects.has(defect::missing_closing_boundary) || !ctx.top_header_complete))
      msg.defects.set(defect::truncated);
  } catch (const std::bad_alloc&) {
    msg.defects.set(defect::truncated);
  } catch (const std::length_error&) {
    msg.defects.set(defect::truncated);
  }
  return msg;
}

}  // namespace mailtriage::mime
